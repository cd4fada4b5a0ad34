/**
 * Rule ids the SQL analyzer can emit. Each one has an entry (category, weight, floor,
 * explanation) in the default policy; the analyzer only says which rule matched and what.
 */
export const RULE = {
  read: 'sql.read',
  session: 'sql.session',
  write: 'sql.write',
  ddl: 'sql.ddl',
  maintenance: 'sql.maintenance',
  routine: 'sql.routine',
  routineCall: 'sql.routine-call',
  extension: 'sql.extension',
  dropObject: 'sql.drop.object',
  drop: 'sql.drop',
  truncate: 'sql.truncate',
  deleteNoWhere: 'sql.delete.no-where',
  deleteTautology: 'sql.delete.tautological-where',
  updateNoWhere: 'sql.update.no-where',
  updateTautology: 'sql.update.tautological-where',
  cteDataModifying: 'sql.cte.data-modifying',
  ddlDataLoss: 'sql.ddl.data-loss',
  privilege: 'sql.privilege',
  credentialRead: 'sql.credential-read',
  serverFileAccess: 'sql.server-file-access',
  serverProgram: 'sql.server-program',
  remoteConnection: 'sql.remote-connection',
  untrustedLanguage: 'sql.untrusted-language',
  serverConfig: 'sql.server-config',
  defenseEvasion: 'sql.defense-evasion',
  sessionKill: 'sql.session-kill',
  queryCancel: 'sql.query-cancel',
  resourceExhaustion: 'sql.resource-exhaustion',
  doBlock: 'sql.do-block',
  dynamicSql: 'sql.dynamic-sql',
  unknownFunction: 'sql.function.unknown',
  executableComment: 'sql.executable-comment',
  clientMetaCommand: 'sql.client-meta-command',
  clientShell: 'sql.client-shell',
  multiStatement: 'sql.multi-statement',
  unclassified: 'sql.unclassified',
  parseError: 'sql.parse-error',
  analyzerError: 'sql.analyzer-error',
} as const;

export type SqlRuleId = (typeof RULE)[keyof typeof RULE];

export const SQL_RULE_IDS: readonly string[] = Object.freeze(Object.values(RULE));
