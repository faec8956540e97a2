/**
 * The HTTP protocol's schemas live in the wire contract (contract/schemas.ts), which both the server
 * and the extension import; this path stays for the server modules and callers that use it.
 */
export * from '../../contract/schemas';
