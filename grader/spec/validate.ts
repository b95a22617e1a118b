// Every JSON that enters the grader passes through one ajv instance, and a
// failure names the file and the field.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import assignmentSchema from './assignment.schema.json' with { type: 'json' };
import limitsSchema from './limits.schema.json' with { type: 'json' };

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
ajv.addSchema(limitsSchema);
ajv.addSchema(assignmentSchema);

const compiled = new Map<object, ValidateFunction>();

export function compile(schema: object): ValidateFunction {
  const key = schema;
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(key, fn);
  }
  return fn;
}

export function byId(id: 'assignment' | 'limits'): ValidateFunction {
  return ajv.getSchema(`dlgrade/${id}.schema.json`)!;
}

export class ValidationError extends Error {
  constructor(readonly source: string, readonly problems: string[]) {
    super(`${source}: ${problems.length === 1 ? problems[0] : '\n  - ' + problems.join('\n  - ')}`);
    this.name = 'ValidationError';
  }
}

/**
 * Validates `value` (from `source`, a file name or a description) or throws a ValidationError.
 * `at` names where `value` sits in its file (e.g. "task"), so fields read "task.trainCount".
 */
export function check<T>(validate: ValidateFunction, value: unknown, source: string, at?: string): T {
  if (!validate(value)) throw new ValidationError(source, (validate.errors ?? []).map((e) => describe(e, at)));
  return value as T;
}

function describe(e: ErrorObject, prefix?: string): string {
  const path = e.instancePath.slice(1).replace(/\//g, '.');
  const at = prefix ? (path ? `${prefix}.${path}` : prefix) : path || '(top level)';
  if (e.keyword === 'additionalProperties') return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required') return `${at}: missing field "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${at}: ${e.message}`;
}
