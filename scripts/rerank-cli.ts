/** Shared bits of the rerank and eval command lines: argument parsing and error reporting (no stack traces). */
import { QueryError } from '../server/query/errors';
import { SeriesError } from '../server/series/errors';

export class UsageError extends Error {}

export interface ParsedArgs {
  values: Map<string, string[]>;
  flags: Set<string>;
}

/**
 * `--name value`, `--name=value`, repeated or multi-valued (`--cases a b c`) options, and bare `--flag`s.
 * `valued` lists the options that take values; anything else starting with `--` is a flag.
 */
export function parseArgs(argv: string[], valued: readonly string[], flags: readonly string[]): ParsedArgs {
  const values = new Map<string, string[]>();
  const seen = new Set<string>();
  let current: string | null = null;
  for (const arg of argv) {
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      if (valued.includes(name)) {
        const list = values.get(name) ?? [];
        values.set(name, list);
        if (eq > 0) { list.push(arg.slice(eq + 1)); current = null; } else current = name;
      } else if (flags.includes(name)) {
        seen.add(name);
        current = null;
      } else {
        throw new UsageError(`unknown option --${name}`);
      }
      continue;
    }
    if (!current) throw new UsageError(`unexpected argument "${arg}"`);
    values.get(current)!.push(arg);
  }
  return { values, flags: seen };
}

export function single(a: ParsedArgs, name: string): string | undefined {
  const v = a.values.get(name);
  if (!v) return undefined;
  if (v.length !== 1) throw new UsageError(`--${name} takes one value`);
  return v[0];
}

export function numberArg(a: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const s = single(a, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}`);
  return n;
}

/** Prints a known error as one line on stderr and exits non-zero; unknown errors too, without a stack. */
export function exitWithError(tool: string, err: unknown): never {
  if (err instanceof UsageError) {
    process.stderr.write(`${tool}: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof SeriesError || err instanceof QueryError) {
    process.stderr.write(`${tool}: ${err.code}: ${err.message}\n`);
    process.exit(1);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${tool}: ${message}\n`);
  process.exit(1);
}
