import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { HubError } from '../errors.ts';
import './formats.ts';

/** The first problem with a value, as `field: message`, or undefined when it fits the schema. */
export function firstProblem(schema: TSchema, value: unknown): { field: string; message: string } | undefined {
  for (const error of Value.Errors(schema, value)) {
    const field = error.path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
    return { field, message: error.message };
  }
  return undefined;
}

/** Validates at a boundary; throws invalid_data naming the field that is wrong. */
export function assertValid<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const problem = firstProblem(schema, value);
  if (problem) {
    throw new HubError('invalid_data', `${what}: ${problem.field}: ${problem.message}`, { field: problem.field });
  }
  return value as Static<T>;
}
