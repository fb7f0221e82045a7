// Turns zod issues into the errors runboard reports at every edge: one line per problem,
// each naming the field as a path such as `layout.items[2].w`.
import type { z } from "zod";

export interface FieldError {
  field: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(body)" : out;
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message }));
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: fieldErrors(result.error) };
}

/** One human sentence for logs and CLI output. */
export function describeErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join("; ");
}
