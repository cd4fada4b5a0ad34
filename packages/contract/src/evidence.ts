import { type Static, Type } from 'typebox';
import { OutputChunk } from './requests.ts';

/** The masked output of an executed request, as stored. */
export const RecordingAnswer = Type.Object({
  requestId: Type.String(),
  chunks: Type.Array(OutputChunk),
  bytes: Type.Integer(),
  truncated: Type.Boolean(),
  masked: Type.Record(Type.String(), Type.Number(), { description: 'masked values per type' }),
  createdAt: Type.String(),
});
export type RecordingAnswer = Static<typeof RecordingAnswer>;

export const IncidentExportBody = Type.Object(
  {
    agent: Type.String({ minLength: 1, maxLength: 64 }),
    since: Type.String({ format: 'date-time', maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type IncidentExportBody = Static<typeof IncidentExportBody>;

/** One file of an incident bundle, with the exact text `gatehouse incident export` writes to disk. */
export const BundleFile = Type.Object({ name: Type.String(), content: Type.String() });

export const IncidentBundle = Type.Object({
  manifest: Type.Object({}, { additionalProperties: true, description: 'also the content of manifest.json' }),
  files: Type.Array(BundleFile),
});
