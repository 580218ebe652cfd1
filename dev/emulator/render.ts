import type { EcsErrorAnswer } from './ecs-error.ts';

/** The answer formats ECS speaks; `Format=JSON` selects JSON, anything else (or nothing) XML, as on ECS. */
export type ResponseFormat = 'JSON' | 'XML';

/** A rendered answer body with its content type. */
export interface RenderedBody {
  readonly contentType: string;
  readonly body: string;
}

/** Picks the answer format from the `Format` parameter. */
export function responseFormat(format: string | undefined): ResponseFormat {
  return format?.toUpperCase() === 'JSON' ? 'JSON' : 'XML';
}

/** `{"RequestId": ...}` or `<ActionResponse><RequestId>...</RequestId></ActionResponse>`. */
export function renderSuccess(format: ResponseFormat, action: string, requestId: string): RenderedBody {
  if (format === 'JSON') return json({ RequestId: requestId });
  const root = `${action}Response`;
  return xml(`<${root}><RequestId>${escapeXml(requestId)}</RequestId></${root}>`);
}

/** The ECS error document: RequestId, HostId, Code, Message, Recommend. */
export function renderError(
  format: ResponseFormat,
  error: EcsErrorAnswer,
  requestId: string,
  hostId: string,
): RenderedBody {
  const fields = {
    RequestId: requestId,
    HostId: hostId,
    Code: error.code,
    Message: error.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=Ecs`,
  };
  if (format === 'JSON') return json(fields);
  const inner = Object.entries(fields)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  return xml(`<Error>${inner}</Error>`);
}

function json(value: Record<string, string>): RenderedBody {
  return { contentType: 'application/json;charset=utf-8', body: JSON.stringify(value) };
}

function xml(inner: string): RenderedBody {
  return { contentType: 'text/xml;charset=utf-8', body: `<?xml version="1.0" encoding="UTF-8"?>${inner}` };
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
