/** An error answer of the emulated ECS API: the `Code`, the HTTP status and the `Message` real ECS sends. */
export interface EcsErrorAnswer {
  readonly code: string;
  readonly httpStatus: number;
  readonly message: string;
}

/** A value read from a call's parameters, or the ECS error that reading them found. */
export type OrEcsError<T> = T | { readonly error: EcsErrorAnswer };

/** Builds an {@link EcsErrorAnswer}; a function so call sites read like the ECS error table. */
export function ecsError(code: string, httpStatus: number, message: string): EcsErrorAnswer {
  return { code, httpStatus, message };
}

/** `MissingParameter` with the wording ECS uses, naming the parameter. */
export function missingParameter(name: string): EcsErrorAnswer {
  return ecsError(
    'MissingParameter',
    400,
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );
}

/** The 500 ECS answers when something failed on its side. */
export function internalError(): EcsErrorAnswer {
  return ecsError('InternalError', 500, 'The request processing has failed due to some unknown error.');
}

/** The 503 ECS answers when it is briefly unavailable. */
export function serviceUnavailable(): EcsErrorAnswer {
  return ecsError('ServiceUnavailable', 503, 'The request has failed due to a temporary failure of the server.');
}

/** The 404 for an action (or path) ECS does not serve. */
export function actionNotFound(): EcsErrorAnswer {
  return ecsError('InvalidAction.NotFound', 404, 'Specified api is not found.');
}

/** The answer to a call beyond the API's flow control. */
export function throttled(): EcsErrorAnswer {
  return ecsError('Throttling.User', 400, 'Request was denied due to user flow control.');
}
