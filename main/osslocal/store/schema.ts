/**
 * Numbered migrations of the local OSS server's metadata database. Each entry runs once,
 * in order, inside a transaction; `PRAGMA user_version` records how far a database got.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: buckets, objects, multipart uploads and their parts, refcounted blobs, garbage.
  `
  CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE buckets (
    name TEXT PRIMARY KEY,
    location TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    created_ms INTEGER NOT NULL
  );
  -- Object keys are TEXT in a UTF-8 database: BINARY collation compares them bytewise,
  -- which is the order OSS lists keys in.
  CREATE TABLE objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    crc64 TEXT NOT NULL,
    content_md5 TEXT,
    last_modified_ms INTEGER NOT NULL,
    object_type TEXT NOT NULL,
    storage_class TEXT NOT NULL,
    headers TEXT NOT NULL,
    user_meta TEXT NOT NULL,
    segments TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
  ) WITHOUT ROWID;
  CREATE TABLE uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    initiated_ms INTEGER NOT NULL,
    storage_class TEXT NOT NULL,
    headers TEXT NOT NULL,
    user_meta TEXT NOT NULL
  );
  CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);
  CREATE TABLE parts (
    upload_id TEXT NOT NULL,
    part_number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    md5 TEXT NOT NULL,
    crc64 TEXT NOT NULL,
    last_modified_ms INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
  ) WITHOUT ROWID;
  -- A blob is an immutable data file; objects (after CopyObject, several) and parts refer to it.
  CREATE TABLE blobs (
    blob_id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    refs INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- Blobs no longer referenced: their files are unlinked after the commit that released them,
  -- and again at start for whatever a crash left behind.
  CREATE TABLE garbage (
    blob_id TEXT PRIMARY KEY
  ) WITHOUT ROWID;
  `,
];
