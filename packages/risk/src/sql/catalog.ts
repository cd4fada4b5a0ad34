/**
 * Knowledge about names: functions with effects beyond reading, settings that weaken
 * auditing or security, catalogs holding credentials, and the built-in functions known to be
 * read-only. Shared by every dialect (names are compared lower-case, schema stripped).
 */
import { RULE, type SqlRuleId } from './rules.ts';

export interface FunctionRisk {
  rule: SqlRuleId;
  what: string;
}

const risky: Array<[SqlRuleId, string, string[]]> = [
  [
    RULE.serverFileAccess,
    'reads or writes files on the database server',
    [
      'pg_read_file',
      'pg_read_binary_file',
      'pg_ls_dir',
      'pg_stat_file',
      'pg_ls_logdir',
      'pg_ls_waldir',
      'pg_ls_tmpdir',
      'pg_ls_archive_statusdir',
      'pg_ls_logicalsnapdir',
      'pg_ls_logicalmapdir',
      'pg_ls_replslotdir',
      'pg_file_write',
      'pg_file_rename',
      'pg_file_unlink',
      'pg_file_sync',
      'pg_logdir_ls',
      'lo_import',
      'lo_export',
      'load_file',
      'readfile',
      'writefile',
      'openrowset',
      'opendatasource',
      'bulk_insert',
    ],
  ],
  [
    RULE.serverProgram,
    'runs an operating-system program on the server',
    ['sys_exec', 'sys_eval', 'xp_cmdshell'],
  ],
  [
    RULE.remoteConnection,
    'opens a connection from the database server to another server',
    [
      'dblink',
      'dblink_exec',
      'dblink_connect',
      'dblink_connect_u',
      'dblink_send_query',
      'dblink_open',
      'dblink_fetch',
      'dblink_get_result',
      'openquery',
    ],
  ],
  [RULE.sessionKill, 'terminates other database sessions', ['pg_terminate_backend']],
  [RULE.queryCancel, 'cancels the running query of another session', ['pg_cancel_backend']],
  [
    RULE.serverConfig,
    'changes server-wide state or replication',
    [
      'pg_reload_conf',
      'pg_rotate_logfile',
      'pg_promote',
      'pg_switch_wal',
      'pg_create_restore_point',
      'pg_backup_start',
      'pg_backup_stop',
      'pg_wal_replay_pause',
      'pg_wal_replay_resume',
      'pg_create_logical_replication_slot',
      'pg_create_physical_replication_slot',
      'pg_drop_replication_slot',
      'pg_copy_logical_replication_slot',
      'pg_replication_origin_create',
      'pg_replication_origin_drop',
      'pg_logical_emit_message',
      'pg_stat_reset',
      'pg_stat_reset_shared',
    ],
  ],
  [
    RULE.resourceExhaustion,
    'stalls or burns server resources',
    ['pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'sleep', 'benchmark', 'waitfor'],
  ],
  [
    RULE.dynamicSql,
    'executes a query given as a string',
    ['query_to_xml', 'query_to_xml_and_xmlschema', 'query_to_xmlschema', 'cursor_to_xml', 'sp_executesql'],
  ],
  [
    RULE.write,
    'modifies data',
    ['setval', 'lo_unlink', 'lo_create', 'lo_creat', 'lo_put', 'lo_from_bytea', 'lo_truncate'],
  ],
];

export const RISKY_FUNCTIONS: ReadonlyMap<string, FunctionRisk> = new Map(
  risky.flatMap(([rule, what, names]) => names.map((n): [string, FunctionRisk] => [n, { rule, what }])),
);

/** Functions whose first argument is a query string we can parse and analyse. */
export const QUERY_STRING_FUNCTIONS: ReadonlySet<string> = new Set([
  'query_to_xml',
  'query_to_xml_and_xmlschema',
  'query_to_xmlschema',
  'dblink_exec',
]);

/** Settings that switch off auditing, triggers, replication logging or row security. */
export const EVASION_SETTINGS: ReadonlySet<string> = new Set([
  'session_replication_role',
  'row_security',
  'log_statement',
  'log_min_duration_statement',
  'log_min_messages',
  'log_min_error_statement',
  'log_connections',
  'log_disconnections',
  'log_duration',
  'log_replication_commands',
  'pgaudit.log',
  'pgaudit.log_level',
  'pgaudit.role',
  'sql_log_bin',
  'sql_log_off',
  'general_log',
  'slow_query_log',
  'foreign_key_checks',
  'allow_system_table_mods',
  'zero_damaged_pages',
  'ignore_checksum_failure',
  'ignore_system_indexes',
  'fsync',
  'full_page_writes',
]);

/** Settings that change who the session is. */
export const IDENTITY_SETTINGS: ReadonlySet<string> = new Set(['role', 'session_authorization']);

/** Catalog relations that expose password hashes or stored connection secrets. */
export const CREDENTIAL_RELATIONS: ReadonlySet<string> = new Set([
  'pg_authid',
  'pg_shadow',
  'pg_user_mapping',
  'pg_user_mappings',
  'pg_auth_members',
  'mysql.user',
  'mysql.global_priv',
  'sys.sql_logins',
  'sys.syslogins',
]);

/** Procedural languages that can reach the operating system; functions in them run as the server. */
export const UNTRUSTED_LANGUAGES: ReadonlySet<string> = new Set([
  'c',
  'internal',
  'plpythonu',
  'plpython2u',
  'plpython3u',
  'plperlu',
  'pltclu',
  'plrustu',
  'plr',
  'plsh',
  'pljavau',
  'plv8u',
]);

/** Extensions that hand the server file, program, network or untrusted-language access. */
export const DANGEROUS_EXTENSIONS: ReadonlySet<string> = new Set([
  ...UNTRUSTED_LANGUAGES,
  'adminpack',
  'file_fdw',
  'dblink',
  'postgres_fdw',
  'mysql_fdw',
  'oracle_fdw',
  'multicorn',
  'pg_execute_server_program',
  'lo',
  'pgextwlist',
]);

/**
 * Built-in functions known to only compute or read. Any other function call may be a
 * user-defined routine with arbitrary effects, so it keeps the statement out of `auto`.
 */
export const KNOWN_READ_FUNCTIONS: ReadonlySet<string> = new Set(
  `
  count sum avg min max array_agg string_agg json_agg jsonb_agg json_object_agg jsonb_object_agg
  bool_and bool_or every bit_and bit_or stddev stddev_pop stddev_samp variance var_pop var_samp
  percentile_cont percentile_disc mode rank dense_rank row_number ntile lag lead first_value
  last_value nth_value cume_dist percent_rank group_concat any_value corr covar_pop covar_samp
  regr_slope regr_intercept listagg median approx_count_distinct count_if countif
  abs ceil ceiling floor round trunc truncate sign sqrt cbrt power pow exp ln log log10 log2 mod
  div random rand pi degrees radians sin cos tan asin acos atan atan2 cot greatest least width_bucket
  gcd lcm factorial scale
  lower upper initcap length char_length character_length octet_length bit_length substr substring
  left right lpad rpad ltrim rtrim btrim trim replace translate reverse repeat position strpos
  instr locate concat concat_ws format split_part regexp_replace regexp_match regexp_matches
  regexp_split_to_array regexp_split_to_table regexp_like regexp_substr regexp_instr regexp_count
  starts_with ends_with md5 sha1 sha2 sha224 sha256 sha384 sha512 encode decode to_hex hex unhex
  ascii chr char quote_ident quote_literal quote_nullable string_to_array array_to_string
  to_char to_number to_date to_timestamp to_json to_jsonb row_to_json array_to_json json_build_object
  jsonb_build_object json_build_array jsonb_build_array json_extract_path jsonb_extract_path
  json_extract_path_text jsonb_extract_path_text json_array_length jsonb_array_length json_each
  jsonb_each json_each_text jsonb_each_text json_object_keys jsonb_object_keys jsonb_set jsonb_insert
  jsonb_pretty json_typeof jsonb_typeof json_array_elements jsonb_array_elements
  json_array_elements_text jsonb_array_elements_text jsonb_path_query jsonb_path_exists
  jsonb_strip_nulls json_strip_nulls json_extract json_unquote json_object json_array json_contains
  json_keys json_length json_valid json_value json_query json_search json_type jsonb_path_query_first
  parse_json to_variant object_construct array_construct get_path flatten
  now current_date current_time current_timestamp localtime localtimestamp clock_timestamp
  statement_timestamp transaction_timestamp timeofday date_trunc date_part extract age make_date
  make_time make_timestamp make_timestamptz make_interval justify_days justify_hours justify_interval
  isfinite date_bin to_days from_days date_format date_add date_sub datediff timestampdiff
  timestampadd adddate subdate curdate curtime sysdate utc_timestamp utc_date unix_timestamp
  from_unixtime year month day dayofweek dayofmonth dayofyear hour minute second week weekday
  quarter last_day str_to_date time_format monthname dayname timestamp date time dateadd datepart
  getdate getutcdate sysdatetime eomonth datetime strftime julianday unixepoch format_timestamp
  parse_timestamp parse_date date_diff timestamp_diff timestamp_trunc
  coalesce nullif ifnull isnull nvl nvl2 iif if ifnull decode zeroifnull nullifzero
  cast convert try_cast safe_cast typeof pg_typeof format_type
  array_length array_lower array_upper array_dims array_ndims array_position array_positions
  array_remove array_replace array_append array_prepend array_cat cardinality unnest
  generate_series generate_subscripts range lower_inc upper_inc isempty
  uuid_generate_v4 gen_random_uuid uuid newid
  current_user session_user user current_schema current_schemas current_database current_catalog
  current_role database version schema connection_id last_insert_id found_rows row_count
  inet_client_addr inet_server_addr pg_backend_pid pg_postmaster_start_time
  pg_size_pretty pg_total_relation_size pg_relation_size pg_table_size pg_indexes_size
  pg_database_size pg_column_size obj_description col_description has_table_privilege
  has_schema_privilege has_database_privilege has_column_privilege pg_get_viewdef
  pg_get_functiondef pg_get_indexdef pg_get_constraintdef pg_get_triggerdef pg_get_expr
  pg_table_is_visible pg_is_in_recovery pg_last_wal_replay_lsn pg_current_wal_lsn
  txid_current pg_current_xact_id pg_get_serial_sequence currval lastval nextval
  to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd
  ts_headline setweight similarity word_similarity levenshtein soundex difference metaphone
  st_distance st_contains st_intersects st_within st_astext st_geomfromtext st_makepoint st_x st_y
  row tuple exists
  `
    .split(/\s+/)
    .filter((s) => s.length > 0),
);
