import type { schema } from '@gatehouse/db';

/** A registered connection as stored: the broker and the registry both read it, so it lives apart from either. */
export type ConnectionRow = typeof schema.connections.$inferSelect;
