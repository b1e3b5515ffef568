import GRDB

/// The schema and its migrations. docs/STORE.md describes every table.
///
/// Migrations are named `vN-what` and only ever appended: a released migration is never
/// edited, because databases in the field have already run it. Constraints live here
/// rather than in Swift so that any writer — the poller, a command, a human with the
/// `sqlite3` shell — is held to them. Tables are STRICT (SQLite 3.37+), so a column
/// declared INTEGER holds integers and nothing else.
///
/// Times are REAL seconds since 1970 (UTC), so they sort, compare and work with SQLite's
/// `datetime(x, 'unixepoch')`. Enumerations fixed by the RFCs (status, severity, mode) are
/// listed in CHECKs; open-ended ones the core may extend (finding codes, event kinds) are
/// only checked for shape, so a new code does not need a table rebuild.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-initial") { db in
            try db.execute(sql: v1)
        }
        // GRDB runs this with foreign keys off and checks them before committing, which the
        // table rebuild needs: dropping the old table must not null `current_state.observation_id`.
        migrator.registerMigration("v2-observation-runs") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3-shared-mx-probes") { db in
            try db.execute(sql: v3)
        }
        return migrator
    }

    /// MX probes shared across domains, rounds and processes, and which domains use which MX host.
    ///
    /// `mx_probe` holds one row per (MX host, address): the latest ``SharedProbe`` as JSON
    /// (the probe domains see, the last good one, the polite refusals in a row), with its time
    /// and back-off in columns. `domain_mx` lists each domain's MX hosts at its latest check, so
    /// "shared by 1,204 domains" is one indexed count.
    static let v3 = """
    CREATE TABLE mx_probe (
        host TEXT NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
        address TEXT NOT NULL CHECK (length(address) BETWEEN 2 AND 45),
        probed_at REAL NOT NULL,
        refusals INTEGER NOT NULL DEFAULT 0 CHECK (refusals >= 0),
        retry_after REAL,
        json TEXT NOT NULL CHECK (json_valid(json)),
        PRIMARY KEY (host, address)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE domain_mx (
        domain TEXT NOT NULL REFERENCES domain(name) ON DELETE CASCADE,
        host TEXT NOT NULL,
        PRIMARY KEY (domain, host)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX domain_mx_host ON domain_mx(host);
    """

    /// Observations stored once per run of identical results.
    ///
    /// A check whose observation (apart from its time) is the same as the domain's latest
    /// stored one moves that row's `last_seen_at` and `seen_count` instead of adding a row:
    /// at 10,000 domains every 15 minutes, a row per check was ~11 GB for the 7-day retention.
    /// The table is rebuilt (SQLite cannot add a NOT NULL column without a default, nor a
    /// CHECK that existing rows fail) and keeps its v1 rows, ids, constraints and indexes;
    /// `content_sha256` stays NULL for them, so the first v2 check of each domain starts a run.
    static let v2 = """
    CREATE TABLE observation_v2 (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL REFERENCES domain(name) ON DELETE CASCADE,
        observed_at REAL NOT NULL,
        last_seen_at REAL NOT NULL CHECK (last_seen_at >= observed_at),
        seen_count INTEGER NOT NULL DEFAULT 1 CHECK (seen_count >= 1),
        failed INTEGER NOT NULL CHECK (failed IN (0, 1)),
        policy_sha256 TEXT CHECK (policy_sha256 IS NULL
                                  OR (length(policy_sha256) = 64 AND policy_sha256 NOT GLOB '*[^0-9a-f]*')),
        content_sha256 TEXT CHECK (content_sha256 IS NULL
                                   OR (length(content_sha256) = 64 AND content_sha256 NOT GLOB '*[^0-9a-f]*')),
        json TEXT NOT NULL CHECK (json_valid(json))
    ) STRICT;
    INSERT INTO observation_v2 (id, domain, observed_at, last_seen_at, seen_count, failed, policy_sha256, content_sha256, json)
        SELECT id, domain, observed_at, observed_at, 1, failed, policy_sha256, NULL, json FROM observation;
    DROP TABLE observation;
    ALTER TABLE observation_v2 RENAME TO observation;
    CREATE INDEX observation_domain_time ON observation(domain, observed_at);
    CREATE INDEX observation_time ON observation(observed_at);
    """

    /// The first schema: monitored domains, their checks, and TLS-RPT reports.
    static let v1 = """
    -- Domains being watched, and when the poller should next look at each.
    CREATE TABLE domain (
        name TEXT NOT NULL PRIMARY KEY
            CHECK (length(name) BETWEEN 1 AND 253
                   AND name NOT GLOB '*[^a-z0-9._-]*'
                   AND name NOT GLOB '.*' AND name NOT GLOB '*.' AND name NOT GLOB '*..*'),
        added_at REAL NOT NULL,
        interval_seconds INTEGER CHECK (interval_seconds IS NULL OR interval_seconds > 0),
        next_due_at REAL,
        last_checked_at REAL,
        last_success_at REAL,
        consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0)
    ) STRICT;
    CREATE INDEX domain_next_due ON domain(next_due_at);

    -- What the probes saw, kept raw for the detail pane and for re-judging; pruned by age.
    CREATE TABLE observation (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL REFERENCES domain(name) ON DELETE CASCADE,
        observed_at REAL NOT NULL,
        failed INTEGER NOT NULL CHECK (failed IN (0, 1)),
        policy_sha256 TEXT CHECK (policy_sha256 IS NULL
                                  OR (length(policy_sha256) = 64 AND policy_sha256 NOT GLOB '*[^0-9a-f]*')),
        json TEXT NOT NULL CHECK (json_valid(json))
    ) STRICT;
    CREATE INDEX observation_domain_time ON observation(domain, observed_at);
    CREATE INDEX observation_time ON observation(observed_at);

    -- The latest judgement of each domain: the whole Assessment as JSON, plus columns to sort and filter on.
    CREATE TABLE current_state (
        domain TEXT NOT NULL PRIMARY KEY REFERENCES domain(name) ON DELETE CASCADE,
        observation_id INTEGER REFERENCES observation(id) ON DELETE SET NULL,
        checked_at REAL NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'warn', 'crit', 'unknown')),
        mode TEXT CHECK (mode IN ('enforce', 'testing', 'none')),
        tlsrpt_present INTEGER NOT NULL CHECK (tlsrpt_present IN (0, 1)),
        mx_cert_not_after REAL,
        policy_cert_not_after REAL,
        finding_count INTEGER NOT NULL CHECK (finding_count >= 0),
        assessment TEXT NOT NULL CHECK (json_valid(assessment))
    ) STRICT;
    CREATE INDEX current_state_status ON current_state(status);
    CREATE INDEX current_state_mx_cert ON current_state(mx_cert_not_after);

    -- The current findings of each domain, with when each was first and last seen.
    CREATE TABLE finding (
        domain TEXT NOT NULL REFERENCES current_state(domain) ON DELETE CASCADE,
        code TEXT NOT NULL CHECK (length(code) > 0 AND code NOT GLOB '*[^a-z0-9-]*'),
        subject TEXT NOT NULL,
        position INTEGER NOT NULL CHECK (position >= 0),
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warn', 'crit')),
        message TEXT NOT NULL,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        CHECK (last_seen >= first_seen),
        PRIMARY KEY (domain, code, subject)
    ) STRICT, WITHOUT ROWID;

    -- What changed between consecutive checks; kept when observations are pruned.
    CREATE TABLE event (
        id INTEGER PRIMARY KEY,
        domain TEXT NOT NULL REFERENCES domain(name) ON DELETE CASCADE,
        at REAL NOT NULL,
        kind TEXT NOT NULL CHECK (length(kind) > 0 AND kind NOT GLOB '*[^a-z0-9-]*'),
        subject TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('info', 'warn', 'crit')),
        message TEXT NOT NULL
    ) STRICT;
    CREATE INDEX event_domain_at ON event(domain, at);
    CREATE INDEX event_at ON event(at);

    -- Commands ask the poller to check now; NULL domain means every domain.
    CREATE TABLE recheck_request (
        id INTEGER PRIMARY KEY,
        domain TEXT REFERENCES domain(name) ON DELETE CASCADE,
        requested_at REAL NOT NULL
    ) STRICT;

    -- One TLS-RPT aggregate report (RFC 8460 §4), deduplicated, with the mail it came in.
    CREATE TABLE report (
        id INTEGER PRIMARY KEY,
        organization TEXT NOT NULL,
        report_id TEXT,
        raw_sha256 TEXT NOT NULL UNIQUE CHECK (length(raw_sha256) = 64 AND raw_sha256 NOT GLOB '*[^0-9a-f]*'),
        start_text TEXT,
        end_text TEXT,
        start_at REAL,
        end_at REAL,
        seen_at REAL NOT NULL,
        day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
        contact TEXT,
        received_at REAL NOT NULL,
        source TEXT NOT NULL CHECK (length(source) > 0),
        mail_subject TEXT,
        mail_date TEXT,
        mail_from TEXT,
        mail_message_id TEXT,
        oddities TEXT NOT NULL CHECK (json_valid(oddities) AND json_type(oddities) = 'array'),
        total_successful INTEGER NOT NULL CHECK (total_successful >= 0),
        total_failed INTEGER NOT NULL CHECK (total_failed >= 0),
        raw BLOB NOT NULL,
        CHECK (length(organization) > 0 OR report_id IS NOT NULL),
        CHECK (end_at IS NULL OR start_at IS NULL OR end_at >= start_at),
        UNIQUE (organization, report_id)
    ) STRICT;
    CREATE INDEX report_seen ON report(seen_at);

    -- One `policies` entry of a report.
    CREATE TABLE report_policy (
        id INTEGER PRIMARY KEY,
        report INTEGER NOT NULL REFERENCES report(id) ON DELETE CASCADE,
        position INTEGER NOT NULL CHECK (position >= 0),
        day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
        policy_type TEXT,
        policy_domain TEXT,
        policy_strings TEXT CHECK (policy_strings IS NULL OR (json_valid(policy_strings) AND json_type(policy_strings) = 'array')),
        mx_hosts TEXT NOT NULL CHECK (json_valid(mx_hosts) AND json_type(mx_hosts) = 'array'),
        successful INTEGER NOT NULL CHECK (successful >= 0),
        failed INTEGER NOT NULL CHECK (failed >= 0),
        UNIQUE (report, position)
    ) STRICT;
    CREATE INDEX report_policy_domain ON report_policy(policy_domain);

    -- One `failure-details` entry, with every field RFC 8460 §4.4 defines.
    CREATE TABLE report_failure (
        id INTEGER PRIMARY KEY,
        policy INTEGER NOT NULL REFERENCES report_policy(id) ON DELETE CASCADE,
        result_type TEXT,
        sending_mta_ip TEXT,
        receiving_mx_hostname TEXT,
        receiving_mx_helo TEXT,
        receiving_ip TEXT,
        failed_session_count INTEGER NOT NULL CHECK (failed_session_count >= 0),
        additional_information TEXT,
        failure_reason_code TEXT
    ) STRICT;
    CREATE INDEX report_failure_policy ON report_failure(policy);

    -- Sessions per policy domain and UTC day, maintained by the triggers below.
    CREATE TABLE report_daily (
        policy_domain TEXT NOT NULL,
        day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
        successful INTEGER NOT NULL CHECK (successful >= 0),
        failed INTEGER NOT NULL CHECK (failed >= 0),
        PRIMARY KEY (policy_domain, day)
    ) STRICT, WITHOUT ROWID;

    CREATE TRIGGER report_policy_daily_add AFTER INSERT ON report_policy
    WHEN NEW.policy_domain IS NOT NULL
    BEGIN
        INSERT INTO report_daily (policy_domain, day, successful, failed)
        VALUES (NEW.policy_domain, NEW.day, NEW.successful, NEW.failed)
        ON CONFLICT (policy_domain, day) DO UPDATE
            SET successful = successful + excluded.successful, failed = failed + excluded.failed;
    END;

    CREATE TRIGGER report_policy_daily_remove AFTER DELETE ON report_policy
    WHEN OLD.policy_domain IS NOT NULL
    BEGIN
        UPDATE report_daily SET successful = successful - OLD.successful, failed = failed - OLD.failed
            WHERE policy_domain = OLD.policy_domain AND day = OLD.day;
        DELETE FROM report_daily
            WHERE policy_domain = OLD.policy_domain AND day = OLD.day AND successful = 0 AND failed = 0;
    END;

    -- Where IMAP ingestion stopped in each mailbox (RFC 3501 UIDVALIDITY and UID are 32-bit).
    CREATE TABLE imap_state (
        mailbox TEXT NOT NULL PRIMARY KEY CHECK (length(mailbox) > 0),
        uidvalidity INTEGER NOT NULL CHECK (uidvalidity BETWEEN 1 AND 4294967295),
        highest_uid INTEGER NOT NULL CHECK (highest_uid BETWEEN 0 AND 4294967295),
        updated_at REAL NOT NULL
    ) STRICT;
    """
}
