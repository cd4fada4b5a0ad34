export * from './audit.ts';
export { errorCatalogueMarkdown } from './docs.ts';
export * from './enums.ts';
export * from './errors.ts';
export * from './evidence.ts';
export { isRecord } from './guards.ts';
export * from './identity.ts';
export * from './requests.ts';
export * from './whitelist.ts';
