/** An error answer of the emulated ECS API: the `Code`, the HTTP status and the `Message` real ECS sends. */
export interface EcsErrorAnswer {
  readonly code: string;
  readonly httpStatus: number;
  readonly message: string;
}

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
