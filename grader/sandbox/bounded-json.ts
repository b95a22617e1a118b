// JSON from the sandbox is parsed only after a linear scan shows its nesting
// is shallow: a million nested arrays would overflow the stack of every
// recursive consumer after JSON.parse (schema validation, structured clone).
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a JSON text, stopping early once past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max && (max = depth) > limit) return max;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export function parseBounded(text: string, limit = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(text, limit) > limit) throw new Error(`nested deeper than ${limit} levels`);
  return JSON.parse(text);
}
