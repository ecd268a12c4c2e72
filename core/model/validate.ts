import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { HubError } from '../errors.ts';
import './formats.ts';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** Schemas are compiled once: intake checks every draft of every page. */
function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let checker = compiled.get(schema);
  if (!checker) {
    checker = TypeCompiler.Compile(schema);
    compiled.set(schema, checker);
  }
  return checker;
}

/** The first problem with a value, as `field: message`, or undefined when it fits the schema. */
export function firstProblem(schema: TSchema, value: unknown): { field: string; message: string } | undefined {
  const checker = checkerFor(schema);
  if (checker.Check(value)) return undefined;
  const error = checker.Errors(value).First();
  if (!error) return { field: '(root)', message: 'does not match the schema' };
  return { field: error.path.replace(/^\//, '').replace(/\//g, '.') || '(root)', message: error.message };
}

/** Validates at a boundary; throws invalid_data naming the field that is wrong. */
export function assertValid<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const problem = firstProblem(schema, value);
  if (problem) {
    throw new HubError('invalid_data', `${what}: ${problem.field}: ${problem.message}`, { field: problem.field });
  }
  return value as Static<T>;
}
