// Every refusal runboard's API gives has one shape: `{error, errors: [{field, message}]}`.
import type { Response } from "express";
import type { FieldError } from "../src/core/validation.js";

export function fail(res: Response, status: number, error: string, errors: FieldError[] = []): void {
  res.status(status).json({ error, errors });
}
