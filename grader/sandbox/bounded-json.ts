// JSON from the sandbox is parsed only after a linear scan shows it is small
// in the ways that cost the grader: nesting (a million nested arrays would
// overflow the stack of every recursive consumer after JSON.parse: schema
// validation, structured clone) and the number of objects and values (32 MiB
// of `{},` is eleven million objects, gigabytes once parsed and copied).
export const MAX_JSON_DEPTH = 64;
export const MAX_JSON_OBJECTS = 10_000;
export const MAX_JSON_VALUES = 8_000_000;

export interface JsonShape { depth: number; objects: number; values: number }

/** Nesting depth, objects and values (roughly: separators) of a JSON text, stopping once past a limit. */
export function jsonShape(text: string, limits: Partial<JsonShape> = {}): JsonShape {
  const maxDepth = limits.depth ?? MAX_JSON_DEPTH, maxObjects = limits.objects ?? MAX_JSON_OBJECTS, maxValues = limits.values ?? MAX_JSON_VALUES;
  let depth = 0, max = 0, objects = 0, values = 1, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (c === 123 && ++objects > maxObjects) break;
      if (++depth > max && (max = depth) > maxDepth) break;
    } else if (c === 93 || c === 125) depth--;
    else if (c === 44 && ++values > maxValues) break;
  }
  return { depth: max, objects, values };
}

/** Nesting depth of a JSON text, stopping early once past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  return jsonShape(text, { depth: limit, objects: Infinity, values: Infinity }).depth;
}

export function parseBounded(text: string, limits: Partial<JsonShape> = {}): unknown {
  const s = jsonShape(text, limits);
  if (s.depth > (limits.depth ?? MAX_JSON_DEPTH)) throw new Error(`nested deeper than ${limits.depth ?? MAX_JSON_DEPTH} levels`);
  if (s.objects > (limits.objects ?? MAX_JSON_OBJECTS)) throw new Error(`more than ${limits.objects ?? MAX_JSON_OBJECTS} objects`);
  if (s.values > (limits.values ?? MAX_JSON_VALUES)) throw new Error(`more than ${limits.values ?? MAX_JSON_VALUES} values`);
  return JSON.parse(text);
}
