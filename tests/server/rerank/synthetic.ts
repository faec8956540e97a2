/** The synthetic chest CT the analysis tests build their cases from (the service warms up on it too). */
export * from '../../../server/rerank/phantom';
