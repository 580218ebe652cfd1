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

/**
 * A success document: `body` as JSON, or as `<ActionResponse>…</ActionResponse>` XML where an array
 * becomes repeated elements of its field's name, as ECS writes lists (`<Tags><Tag>…</Tag><Tag>…</Tag></Tags>`).
 */
export function renderSuccess(
  format: ResponseFormat,
  action: string,
  body: Readonly<Record<string, unknown>>,
): RenderedBody {
  if (format === 'JSON') return json(body);
  const root = `${action}Response`;
  return xml(`<${root}>${xmlFields(body)}</${root}>`);
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
  return xml(`<Error>${xmlFields(fields)}</Error>`);
}

function json(value: Readonly<Record<string, unknown>>): RenderedBody {
  return { contentType: 'application/json;charset=utf-8', body: JSON.stringify(value) };
}

function xml(inner: string): RenderedBody {
  return { contentType: 'text/xml;charset=utf-8', body: `<?xml version="1.0" encoding="UTF-8"?>${inner}` };
}

function xmlFields(fields: Readonly<Record<string, unknown>>): string {
  return Object.entries(fields)
    .map(([name, value]) => (Array.isArray(value) ? value : [value]).map((item) => xmlElement(name, item)).join(''))
    .join('');
}

function xmlElement(name: string, value: unknown): string {
  const inner =
    typeof value === 'object' && value !== null
      ? xmlFields(value as Record<string, unknown>)
      : escapeXml(String(value));
  return `<${name}>${inner}</${name}>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
