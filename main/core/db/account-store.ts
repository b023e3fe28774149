/**
 * Accounts and settings rows of the state database. An account row never holds a secret:
 * the AccessKey secret and STS token live in the SecretStore under accountSecretRef refs,
 * and the row only says whether they are there.
 */
import type { Db } from './database.js';
import { nextIdSql } from './ids.js';

export type AccountKind = 'aliyun' | 'local';

export interface AccountRow {
  id: number;
  kind: AccountKind;
  name: string;
  endpoint: string | null;
  region: string | null;
  defaultBucket: string | null;
  accessKeyId: string;
  pathStyle: boolean;
  authorizationV4: boolean;
  hasSecret: boolean;
  hasSecurityToken: boolean;
  securityTokenExpiresAt: number | null;
  createdAt: number;
}

export type NewAccount = Omit<AccountRow, 'id'>;
export type AccountChanges = Partial<Omit<AccountRow, 'id' | 'createdAt'>>;

interface RawAccount {
  id: number;
  kind: AccountKind;
  name: string;
  endpoint: string | null;
  region: string | null;
  default_bucket: string | null;
  access_key_id: string;
  path_style: number;
  authorization_v4: number;
  has_secret: number;
  has_security_token: number;
  security_token_expires_at: number | null;
  created_at: number;
}

const COLUMNS: Record<keyof Omit<AccountRow, 'id'>, string> = {
  kind: 'kind',
  name: 'name',
  endpoint: 'endpoint',
  region: 'region',
  defaultBucket: 'default_bucket',
  accessKeyId: 'access_key_id',
  pathStyle: 'path_style',
  authorizationV4: 'authorization_v4',
  hasSecret: 'has_secret',
  hasSecurityToken: 'has_security_token',
  securityTokenExpiresAt: 'security_token_expires_at',
  createdAt: 'created_at',
};

function fromRaw(raw: RawAccount): AccountRow {
  return {
    id: raw.id,
    kind: raw.kind,
    name: raw.name,
    endpoint: raw.endpoint,
    region: raw.region,
    defaultBucket: raw.default_bucket,
    accessKeyId: raw.access_key_id,
    pathStyle: raw.path_style === 1,
    authorizationV4: raw.authorization_v4 === 1,
    hasSecret: raw.has_secret === 1,
    hasSecurityToken: raw.has_security_token === 1,
    securityTokenExpiresAt: raw.security_token_expires_at,
    createdAt: raw.created_at,
  };
}

function toSql(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

export class AccountStore {
  constructor(private readonly db: Db) {}

  list(): AccountRow[] {
    const rows = this.db.prepare('SELECT * FROM accounts ORDER BY id').all() as RawAccount[];
    return rows.map(fromRaw);
  }

  get(id: number): AccountRow | undefined {
    const raw = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as
      RawAccount | undefined;
    return raw === undefined ? undefined : fromRaw(raw);
  }

  add(account: NewAccount): AccountRow {
    const keys = Object.keys(COLUMNS) as (keyof NewAccount)[];
    const sql = `INSERT INTO accounts (id, ${keys.map((key) => COLUMNS[key]).join(', ')}) VALUES (${nextIdSql('accounts')}, ${keys.map(() => '?').join(', ')})`;
    const info = this.db.prepare(sql).run(...keys.map((key) => toSql(account[key])));
    return this.get(Number(info.lastInsertRowid)) as AccountRow;
  }

  /** Changes the fields given; undefined if there is no such account. */
  update(id: number, changes: AccountChanges): AccountRow | undefined {
    const keys = (Object.keys(changes) as (keyof AccountChanges)[]).filter(
      (key) => changes[key] !== undefined && key in COLUMNS,
    );
    if (keys.length > 0) {
      const sql = `UPDATE accounts SET ${keys.map((key) => `${COLUMNS[key]} = ?`).join(', ')} WHERE id = ?`;
      this.db.prepare(sql).run(...keys.map((key) => toSql(changes[key])), id);
    }
    return this.get(id);
  }

  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM accounts WHERE id = ?').run(id).changes > 0;
  }
}

/** Settings as name -> JSON value in the settings table. */
export class SettingsStore {
  constructor(private readonly db: Db) {}

  get(name: string): unknown {
    const row = this.db.prepare('SELECT value FROM settings WHERE name = ?').get(name) as
      { value: string } | undefined;
    if (row === undefined) return undefined;
    try {
      return JSON.parse(row.value) as unknown;
    } catch {
      return undefined;
    }
  }

  set(name: string, value: unknown): void {
    this.db
      .prepare(
        'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      )
      .run(name, JSON.stringify(value));
  }
}
