/**
 * Typed errors of the model runtime. Startup problems (a missing or corrupt file, a bad manifest) name
 * the file, so an operator can fix the model folder; none carries a stack to the client.
 */

export class ModelError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  /** The file concerned, when there is one (absolute path). */
  readonly file?: string;

  constructor(code: string, httpStatus: number, message: string, file?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
    this.file = file;
  }
}

/** A file the manifest names (or the manifest itself) is not there. */
export class ModelFileMissingError extends ModelError {
  constructor(file: string, what: string) {
    super('MODEL_FILE_MISSING', 503, `model file missing: ${file} (${what})`, file);
  }
}

/** A file is there but cannot be used: not ONNX, truncated, checksum mismatch, unreadable JSON. */
export class ModelFileCorruptError extends ModelError {
  constructor(file: string, detail: string, cause?: unknown) {
    super('MODEL_FILE_CORRUPT', 503, `model file corrupt: ${file}: ${detail}`, file, { cause });
  }
}

/** manifest.json parses but does not describe a usable model; `problems` lists each violation with its JSON path. */
export class ManifestInvalidError extends ModelError {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super('MODEL_MANIFEST_INVALID', 503, `invalid model manifest ${file}: ${problems.join('; ')}`, file);
    this.problems = problems;
  }
}

/** No execution provider in the configured order could create a session. */
export class ExecutionProviderError extends ModelError {
  constructor(message: string, cause?: unknown) {
    super('NO_EXECUTION_PROVIDER', 503, message, undefined, { cause });
  }
}

/** A request named a model id that is not installed. */
export class UnknownModelError extends ModelError {
  constructor(id: string, known: string[]) {
    super('UNKNOWN_MODEL', 400, `unknown model "${id}"; installed: ${known.join(', ') || 'none'}`);
  }
}

/** Inputs that do not fit the model's declared shapes. */
export class ModelInputError extends ModelError {
  constructor(message: string) {
    super('MODEL_INPUT_INVALID', 422, message);
  }
}
