/** The typed client lives in the wire contract (contract/client.ts); this path stays for existing callers. */
export * from '../../contract/client';
