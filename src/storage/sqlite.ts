import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Row {
  resource: string;
  namespace: string;
  name: string;
  rv: number;
  json: string;
}

export interface LogRow extends Row {
  type: EventType;
}

/**
 * Durable half of the store: objects and a bounded change log in one SQLite file (WAL).
 * Every write is one transaction that bumps the single revision counter, so an acknowledged
 * write is in the WAL before the caller hears of it and survives kill -9.
 */
export class SqliteBackend {
  private db: Database.Database;
  private stmts: {
    put: Database.Statement;
    del: Database.Statement;
    log: Database.Statement;
    setRev: Database.Statement;
    prune: Database.Statement;
  };
  private writeTx: (type: EventType, row: Row) => void;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, 'state.db'));
    this.db.pragma('journal_mode = WAL');
    // NORMAL keeps every committed transaction across a process crash (kill -9); only an OS
    // crash can lose the last ones, the same trade etcd makes with its batch interval.
    this.db.pragma('synchronous = NORMAL');
    // The store reads the file only when it starts (objects and the change log are served from
    // memory), so SQLite's page cache serves just the B-tree lookups of writes. better-sqlite3
    // builds SQLite with a 16 MB default that a busy cluster fills; 1 MB writes as fast.
    this.db.pragma('cache_size = -1024');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS objects (
        resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
        rv INTEGER NOT NULL, json TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS changes (
        rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL,
        namespace TEXT NOT NULL, name TEXT NOT NULL, json TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta (k, v) VALUES ('revision', 1);
    `);
    this.stmts = {
      put: this.db.prepare('INSERT OR REPLACE INTO objects (resource, namespace, name, rv, json) VALUES (?, ?, ?, ?, ?)'),
      del: this.db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      log: this.db.prepare('INSERT INTO changes (rv, type, resource, namespace, name, json) VALUES (?, ?, ?, ?, ?, ?)'),
      setRev: this.db.prepare("UPDATE meta SET v = ? WHERE k = 'revision'"),
      prune: this.db.prepare('DELETE FROM changes WHERE rv <= ?'),
    };
    this.writeTx = this.db.transaction((type: EventType, r: Row) => {
      if (type === 'DELETED') this.stmts.del.run(r.resource, r.namespace, r.name);
      else this.stmts.put.run(r.resource, r.namespace, r.name, r.rv, r.json);
      this.stmts.log.run(r.rv, type, r.resource, r.namespace, r.name, r.json);
      this.stmts.setRev.run(r.rv);
    });
  }

  revision(): number {
    return (this.db.prepare("SELECT v FROM meta WHERE k = 'revision'").get() as { v: number }).v;
  }

  loadObjects(): Row[] {
    return this.db.prepare('SELECT resource, namespace, name, rv, json FROM objects').all() as Row[];
  }

  /** The newest `limit` changes, oldest first. */
  loadChanges(limit: number): LogRow[] {
    const rows = this.db
      .prepare('SELECT rv, type, resource, namespace, name, json FROM changes ORDER BY rv DESC LIMIT ?')
      .all(limit) as LogRow[];
    return rows.reverse();
  }

  write(type: EventType, row: Row): void {
    this.writeTx(type, row);
  }

  /** Drops change-log entries at or below rv (they are outside the watch window anyway). */
  prune(rv: number): void {
    this.stmts.prune.run(rv);
  }

  close(): void {
    this.db.close();
  }
}
