/*
 * NAME
 *	sg_options - the table of every sendguard.conf key
 * DESCRIPTION
 *	The single source for the loader, `sendguardctl config` and the
 *	README reference. Each issue that implements a key adds it here,
 *	with a safe (strict) default: rules differ between organisations,
 *	so every threshold, list and action is a setting.
 */
#include "util/sg_conf.h"

#define ACTIONS "accept|log|hold|reject"
#define MIB (1024LL * 1024)

const sg_option sg_options[] = {
	{ "policy", "internal_domains", SG_OPT_DOMAINS, NULL, NULL, 0, 0,
	  "Your own domains. A recipient is internal when its domain equals "
	  "one of these or is a subdomain of one and its local part has no "
	  "'%', '!' or '@' (README: Recipients); all others are external. "
	  "Required." },
	{ "policy", "trusted_domains", SG_OPT_DOMAINS, "", NULL, 0, 0,
	  "External domains reached over a trusted line (LGWAN, a dedicated "
	  "line). The unencrypted-attachment rule does not apply to them, nor "
	  "a class-2 marking when every external recipient is trusted." },
	{ "policy", "mode", SG_OPT_ENUM, "enforce", "enforce|monitor", 0, 0,
	  "enforce: act on verdicts. monitor: log and record every verdict but "
	  "never hold, reject or rewrite (for rollout and tuning)." },
	{ "policy", "recipient_delimiter", SG_OPT_STRING, "+", NULL, 0, 0,
	  "Characters that start an address extension (kacho+x@ is kacho@), as "
	  "your mailbox servers use them (Postfix's recipient_delimiter). Every "
	  "identity comparison (approver routing, decisions, apply) is made "
	  "with and without the extension; empty: addresses have none." },
	{ "policy", "timezone", SG_OPT_STRING, "Asia/Tokyo", NULL, 0, 0,
	  "Time zone of the times people read: notices, the approval page, "
	  "sendguardctl show/list and the report (2026年12月7日(月) 23:08). "
	  "A name of /usr/share/zoneinfo. JSON and report --csv keep ISO 8601 "
	  "with the offset." },
	{ "policy", "log_internal", SG_OPT_BOOL, "no", NULL, 0, 0,
	  "Also log internal-only mail (it is never held)." },

	{ "actions", "unencrypted-attachment", SG_OPT_ENUM, "hold", ACTIONS, 0, 0,
	  "Action for an attachment that opens without a password." },
	{ "actions", "personal-data", SG_OPT_ENUM, "hold", ACTIONS, 0, 0,
	  "Action for personal data in the body or a readable attachment." },
	{ "actions", "exposed-recipients", SG_OPT_ENUM, "hold", ACTIONS "|bcc", 0, 0,
	  "Action for several external parties visible in To/Cc. bcc rewrites "
	  "To/Cc to undisclosed-recipients (internal addresses kept)." },
	{ "actions", "dangerous-attachment", SG_OPT_ENUM, "hold", ACTIONS, 0, 0,
	  "Action for executables, shortcuts, disk images, macros, deceptive "
	  "names." },
	{ "actions", "classified", SG_OPT_ENUM, "hold", ACTIONS, 0, 0,
	  "Action for class-2 and other handling markings (機密性2, 取扱注意, "
	  "部外秘, 関係者限り, 【秘】)." },
	{ "actions", "classified-3", SG_OPT_ENUM, "reject", ACTIONS, 0, 0,
	  "Action for class-3 markings (機密性3, 3A/3B/3C): class-3 "
	  "information is never e-mailed." },
	{ "actions", "scan-limit", SG_OPT_ENUM, "hold", ACTIONS, 0, 0,
	  "Action for what could not be fully inspected (limits, parse "
	  "errors). Fail closed: never accept what was not read." },
	{ "actions", "private-recipient", SG_OPT_ENUM, "hold", ACTIONS, 0, 0,
	  "Action for an attachment or personal data sent to a private "
	  "address: a consumer, free-mail or carrier domain of "
	  "rules/consumer-domains (gmail.com, docomo.ne.jp, ...). A citizens' "
	  "help desk may accept it in its own [group.NAME]." },

	{ "exposed_recipients", "min_parties", SG_OPT_INT, "2", NULL, 2, 100000,
	  "Fire when To+Cc show external addresses of this many parties "
	  "(a party is one external domain; each consumer-domain address is "
	  "its own party)." },
	{ "exposed_recipients", "max_visible_external", SG_OPT_INT, "10", NULL,
	  1, 100000,
	  "Fire when To+Cc show this many external addresses, whatever their "
	  "parties." },

	{ "limits", "max_message_size", SG_OPT_SIZE, "64M", NULL, 1024, 4096 * MIB,
	  "Largest message scanned; a larger one is a scan-limit finding." },
	{ "limits", "max_mime_depth", SG_OPT_INT, "32", NULL, 1, 1000,
	  "Deepest nesting of multiparts and forwarded messages." },
	{ "limits", "max_parts", SG_OPT_INT, "1000", NULL, 1, 1000000,
	  "Most MIME parts in one message." },
	{ "limits", "max_header_size", SG_OPT_SIZE, "1M", NULL, 1024, 64 * MIB,
	  "Longest decoded header value read in full." },
	{ "limits", "max_addresses", SG_OPT_INT, "10000", NULL, 10, 1000000,
	  "Most addresses read from To, Cc and Bcc together." },
	{ "limits", "max_text_size", SG_OPT_SIZE, "16M", NULL, 1024, 1024 * MIB,
	  "Most text (UTF-8) extracted from one part for the detectors." },
	{ "limits", "max_undecodable", SG_OPT_SHARE, "2%, 64", NULL, 0, 64 * MIB,
	  "Text that cannot be decoded in any charset (after the declared one "
	  "and a guess), per body part or text file: more than this share of "
	  "its bytes and more than this many bytes is a scan-limit finding. "
	  "Less (a stray byte in ISO-2022-JP) is only noted: the replaced "
	  "bytes become U+FFFD and the rest is read." },
	{ "limits", "scan_timeout", SG_OPT_DURATION, "60s", NULL, 1, 3600,
	  "Longest time one message may be scanned." },
	{ "limits", "max_archive_depth", SG_OPT_INT, "5", NULL, 1, 100,
	  "Deepest nesting of archives inside archives (a.zip/b.zip/c.zip) "
	  "that is opened." },
	{ "limits", "max_archive_entries", SG_OPT_INT, "5000", NULL, 1, 10000000,
	  "Most entries read from all the archives of one message." },
	{ "limits", "max_expanded_size", SG_OPT_SIZE, "100M", NULL, 1024, 4096 * MIB,
	  "Most bytes read out of all the archives of one message (document "
	  "packages, signed wrappers, the PDF streams qpdf inflates and the OLE "
	  "streams read count too); this also bounds the memory a bomb can take." },
	{ "limits", "max_expansion_ratio", SG_OPT_INT, "100", NULL, 2, 1000000,
	  "Most bytes read out of one archive per byte of the archive (past "
	  "the first MiB): a higher ratio is an archive bomb." },
	{ "limits", "max_pdf_pages", SG_OPT_INT, "500", NULL, 1, 100000,
	  "Most pages of one PDF whose text is read; a longer PDF is a "
	  "scan-limit finding (pdf-pages)." },
	{ "limits", "pdf_timeout", SG_OPT_DURATION, "20s", NULL, 1, 3600,
	  "Longest time (and CPU time) the text of one PDF may take; the "
	  "worker reading it is then killed and replaced, and the PDF is a "
	  "scan-limit finding (pdf-timeout). Within scan_timeout." },
	{ "limits", "pdf_memory", SG_OPT_SIZE, "512M", NULL, 64 * MIB, 64 * 1024 * MIB,
	  "Address space (RLIMIT_AS) of a PDF text worker while it reads a "
	  "PDF; a PDF that needs more ends the worker and is a scan-limit "
	  "finding (pdf-crash)." },
	{ "limits", "pdf_workers", SG_OPT_INT, "2", NULL, 1, 64,
	  "PDF text worker processes (sendguard-pdftext) the milter starts "
	  "once and keeps; this many PDFs are read at once, others wait. "
	  "Read at start-up, not on reload." },

	{ "personal_data", "min_confidence", SG_OPT_ENUM, "medium",
	  "low|medium|high", 0, 0,
	  "Least confidence of a personal-data finding that is reported. "
	  "high: a validated number (check digit, Luhn) with a keyword such "
	  "as 個人番号 nearby; medium: also two or more validated numbers, "
	  "bank account, birth date or special-care data with their "
	  "keywords, rosters and personal-field tables; low: also a single "
	  "validated number alone." },

	{ "rules", "dir", SG_OPT_PATH, "/usr/share/sendguard/rules", NULL, 0, 0,
	  "Directory of the rule files (consumer-domains, classification, "
	  "...). A relative path is relative to this file's directory." },

	{ "milter", "socket", SG_OPT_STRING,
	  "unix:/var/spool/postfix/sendguard/milter.sock", NULL, 0, 0,
	  "Where the milter listens, in libmilter syntax: unix:PATH (under "
	  "/var/spool/postfix/ for Debian's chrooted smtpd), inet:PORT@ADDRESS "
	  "or inet6:PORT@ADDRESS. A unix socket is the default; on an inet "
	  "socket the milter sets TCP_NODELAY on its listening socket "
	  "(connections inherit it), so loopback TCP does not wait for "
	  "delayed ACKs (clean-mail ratio to Postfix alone 0.40 without it, "
	  "0.75 with it, same run)." },
	{ "milter", "user", SG_OPT_STRING, "sendguard", NULL, 0, 0,
	  "Unprivileged user the milter runs as when started as root." },
	{ "milter", "socket_group", SG_OPT_STRING, "postfix", NULL, 0, 0,
	  "Group given a unix socket (mode 0660) so that the MTA can connect: "
	  "postfix for Postfix's smtpd and cleanup; for Sendmail (which "
	  "connects as root) any group, e.g. smmsp. A missing group stops "
	  "start-up (exit 71): the socket is never made world-writable." },
	{ "milter", "spool_dir", SG_OPT_PATH, "/var/spool/sendguard", NULL, 0, 0,
	  "Private (0700) directory for messages larger than memory_limit; "
	  "files there are unlinked as soon as they are created." },
	{ "milter", "memory_limit", SG_OPT_SIZE, "2M", NULL, 64 * 1024, 1024 * MIB,
	  "A message up to this size is kept in memory; a larger one is "
	  "spooled to an unlinked file." },
	{ "milter", "failure_action", SG_OPT_ENUM, "tempfail", "tempfail|accept|reject",
	  0, 0,
	  "What to answer when the milter itself fails (store unwritable, out "
	  "of memory, internal error). tempfail keeps the mail in the "
	  "sender's queue: nothing is lost." },
	{ "milter", "add_header", SG_OPT_BOOL, "yes", NULL, 0, 0,
	  "Add an X-Sendguard header with the verdict to accepted mail." },
	{ "milter", "timeout", SG_OPT_DURATION, "300s", NULL, 1, 3600,
	  "libmilter's timeout for reads and writes to the MTA." },
	{ "milter", "pid_file", SG_OPT_PATH, "", NULL, 0, 0,
	  "Write the process id here (empty: none)." },
	{ "milter", "audit_queue", SG_OPT_INT, "1024", NULL, 0, 1000000,
	  "Group commit of the audit records of mail that leaves now (accept, "
	  "log, bcc): up to this many wait in memory and one thread appends "
	  "them in batches, one transaction and one fsync per batch, instead "
	  "of one fsync inside each message. When the store cannot be written "
	  "they stay queued and are retried, and new mail gets failure_action "
	  "as before until it can; when the queue is full new mail is "
	  "tempfailed, so a record is never dropped. Records of held, "
	  "delayed and rejected mail are always written before the answer. "
	  "0: every record before the answer. Read at start." },
	{ "milter", "audit_flush_ms", SG_OPT_INT, "5", NULL, 0, 1000,
	  "Batches of queued accept records start at most this often (ms). "
	  "A kill -9 can lose at most the accept records of about this window "
	  "plus one write; a SIGTERM or a reload writes them all first. Read "
	  "at start." },

	{ "store", "backend", SG_OPT_ENUM, "sqlite", "sqlite|postgresql", 0, 0,
	  "sqlite: the store is one file on this host ([store] path). "
	  "postgresql: a PostgreSQL database ([store] dsn), for several "
	  "gateways that share one decision store. Not complete yet: it keeps "
	  "the audit log and nonces (store init, store migrate, audit verify, "
	  "doctor work on it), holds and previews, approvals, delegations, the "
	  "notice outbox and the retention purge; the milter and the page "
	  "refuse to start on it (README: Store backends)." },
	{ "store", "dsn", SG_OPT_STRING, "", NULL, 0, 0,
	  "backend = postgresql: a libpq connection string (host=... dbname=... "
	  "user=..., or a postgresql:// URI). Never a password: a password= "
	  "key or a user:password@ URI is a configuration error (use the "
	  "store user's ~/.pgpass or passfile=). A host other than this "
	  "machine needs sslmode=verify-full (or use a unix socket)." },
	{ "store", "path", SG_OPT_PATH, "/var/lib/sendguard/sendguard.db", NULL, 0, 0,
	  "SQLite database of holds and the audit log. It holds decision "
	  "state and masked evidence, and while a hold waits its bounded "
	  "preview, encrypted ([hold] preview_bytes); never an unencrypted "
	  "or unbounded copy of the mail." },
	{ "store", "retention", SG_OPT_DURATION, "400d", NULL, 0, 3650 * 86400LL,
	  "How long the store keeps what it records about a message (sender, "
	  "recipients, subject, attachment names, masked findings, decision): "
	  "`sendguardctl expire` deletes closed holds, their notices and audit "
	  "records older than this, and writes an anchor record so that "
	  "`sendguardctl audit verify` still verifies the rest. Holds still "
	  "waiting are kept. 0: keep everything." },

	{ "hold", "expire_after", SG_OPT_DURATION, "72h", NULL, 60, 365 * 86400LL,
	  "A hold not decided within this time is deleted and the sender is "
	  "told." },
	{ "hold", "delay", SG_OPT_DURATION, "0", NULL, 0, 86400,
	  "Delayed send (送信ディレイ): external mail that would be accepted "
	  "waits this long, and its sender gets a notice with send-now and "
	  "cancel links; then it leaves by itself (sendguardctl apply "
	  "--daemon). 0: off. A [group.NAME] may set its own (delay = 5m)." },
	{ "hold", "preview_bytes", SG_OPT_SIZE, "32K", NULL, 0, 1024 * 1024,
	  "Bytes of body text kept in a held message's preview for its "
	  "approvers (the page and sendguardctl show), besides the first rows "
	  "of spreadsheets and CSV files and the page counts of PDFs. The "
	  "preview is stored encrypted (AES-256-GCM under a key derived from "
	  "[keys]) and deleted when the hold is decided or expires. 0: no "
	  "preview (approvers see findings and the attachment list only)." },

	{ "release", "backend", SG_OPT_ENUM, "postfix", "postfix|sendmail", 0, 0,
	  "The MTA whose queue sendguardctl apply and reconcile act on. "
	  "postfix: the hold queue, with postsuper, postqueue and postcat. "
	  "sendmail: quarantined queue items, with sendmail -qQ -qI -Q and "
	  "the hf/df files of [release] sendmail_queue_dir." },
	{ "release", "postfix_config_dir", SG_OPT_PATH, "/etc/postfix", NULL, 0, 0,
	  "Postfix configuration directory, passed as -c to postsuper, "
	  "postqueue, postcat, postconf and postkick by sendguardctl apply, "
	  "reconcile and expire." },
	{ "release", "postsuper", SG_OPT_STRING, "/usr/sbin/postsuper", NULL, 0, 0,
	  "Command that releases (-H, -r) and deletes (-d) held mail; run as "
	  "root by sendguardctl apply and reconcile (words separated by "
	  "spaces, no shell)." },
	{ "release", "postqueue", SG_OPT_STRING, "/usr/sbin/postqueue", NULL, 0, 0,
	  "Command that lists the queue (-j) and delivers a released message "
	  "at once (-i)." },
	{ "release", "postcat", SG_OPT_STRING, "/usr/sbin/postcat", NULL, 0, 0,
	  "Command that shows a queue file's headers (-hq), to check its "
	  "X-Sendguard-Hold header before the queue is changed." },
	{ "release", "postconf", SG_OPT_STRING, "/usr/sbin/postconf", NULL, 0, 0,
	  "Command that reads maximal_queue_lifetime and "
	  "bounce_queue_lifetime." },
	{ "release", "postkick", SG_OPT_STRING, "/usr/sbin/postkick", NULL, 0, 0,
	  "Command that wakes pickup after postsuper -r." },
	{ "release", "sendmail", SG_OPT_STRING, "/usr/sbin/sendmail", NULL, 0, 0,
	  "backend = sendmail: the Sendmail binary (words separated by spaces, "
	  "no shell; sendguard adds -C sendmail_config). It unquarantines an "
	  "approved message (-qQ -qI -Q), runs it (-qI), and quarantines a "
	  "message released behind sendguard's back again (-qI -Q)." },
	{ "release", "sendmail_config", SG_OPT_PATH, "/etc/mail/sendmail.cf", NULL,
	  0, 0,
	  "backend = sendmail: the configuration file of the Sendmail that runs "
	  "the milter, passed as -C; its O QueueDirectory= line names the queue "
	  "directory (one directory: queue groups are refused)." },
	{ "release", "sendmail_queue_dir", SG_OPT_PATH, "", NULL, 0, 0,
	  "backend = sendmail: the queue directory (with its qf/ and df/ "
	  "subdirectories if any). Empty: the QueueDirectory of "
	  "sendmail_config; when set, it must be the same. Rejected, withdrawn "
	  "and expired mail is deleted here (hf and df files, under Sendmail's "
	  "lock): Sendmail has no delete command." },
	{ "release", "command_timeout", SG_OPT_DURATION, "60s", NULL, 1, 3600,
	  "Longest time one Postfix or Sendmail command may run before it is "
	  "killed." },
	{ "release", "requeue_fraction", SG_OPT_INT, "50", NULL, 0, 100,
	  "Approved mail held longer than this percentage of the smaller of "
	  "maximal_queue_lifetime and bounce_queue_lifetime is released with "
	  "postsuper -r (new queue id, fresh queue lifetime), as postsuper(1) "
	  "advises; younger mail with postsuper -H. 0: always -r. Postfix "
	  "only: Sendmail has no requeue." },
	{ "release", "reconcile_grace", SG_OPT_DURATION, "10m", NULL, 360, 86400,
	  "sendguardctl reconcile leaves pending holds younger than this "
	  "alone: the milter records a hold before the MTA commits its queue "
	  "file, and the MTA may take its whole milter timeout "
	  "(milter_content_timeout, Sendmail's T=E:, 300 s by default) and "
	  "then the commit. At least 6m; raise it with the MTA's timeout." },
	{ "release", "arrival_timeout", SG_OPT_DURATION, "10m", NULL, 5, 86400,
	  "The milter records a hold as arriving at end of message, before "
	  "the MTA commits its queue file; its notifier confirms it (pending, "
	  "notices released) once the queue id is seen on hold in the queue "
	  "listing of [release] backend (postqueue -j, or the Sendmail queue "
	  "directory). An arriving hold whose queue id is in no queue this "
	  "long after it was recorded is closed as never-arrived, silently "
	  "(one audit record, no notice): the MTA tempfailed or lost the "
	  "message and the client sends it again. A queue file that turns up "
	  "later (within a day) still confirms it. Keep it above the MTA's "
	  "milter timeout (milter_content_timeout, 300 s by default)." },

	{ "notify", "sendmail", SG_OPT_STRING, "/usr/sbin/sendmail", NULL, 0, 0,
	  "Command that submits notices (words separated by spaces; sendguard "
	  "adds -f, -i and the recipients), e.g. /usr/sbin/sendmail -C "
	  "/etc/postfix." },
	{ "notify", "smtp", SG_OPT_STRING, "", NULL, 0, 0,
	  "Where notices are submitted by SMTP: HOST:PORT, [IPv6]:PORT or the "
	  "path of a unix socket; normally the gateway's own listener, where "
	  "the milter recognises each notice by its MAC. One connection is "
	  "kept for many notices. Empty: use the sendmail command (which "
	  "needs Postfix's setgid postdrop, impossible under "
	  "NoNewPrivileges=yes)." },
	{ "notify", "max_age", SG_OPT_DURATION, "1d", NULL, 60, 30 * 86400LL,
	  "A notice that could not be delivered for this long is given up: "
	  "logged, audited (notice-failed) and listed by sendguardctl list "
	  "--notices. Until then it is retried with back-off (5 s doubling "
	  "to 5 min)." },
	{ "notify", "from", SG_OPT_STRING, "", NULL, 0, 0,
	  "From address of notices. Empty: sendguard@ the first internal "
	  "domain." },
	{ "notify", "templates", SG_OPT_PATH, "/usr/share/sendguard/templates",
	  NULL, 0, 0,
	  "Directory of the notice templates (ja/, en/)." },
	{ "notify", "notify_sender", SG_OPT_BOOL, "yes", NULL, 0, 0,
	  "Send the sender a notice when a message is held or rejected." },
	{ "notify", "notify_approvers", SG_OPT_BOOL, "yes", NULL, 0, 0,
	  "Send the approvers an approval request when a message is held." },
	{ "notify", "notify_sent", SG_OPT_ENUM, "late", "no|late|yes", 0, 0,
	  "Delayed send ([hold] delay): tell the sender when a delayed message "
	  "has left (notice sent_sender, audit event sent). late: only when it "
	  "left more than 10 s after the time its delay notice gave (apply "
	  "--daemon was down), since that notice already said when it leaves "
	  "and a second notice for every external message teaches people to "
	  "skip notices; yes: also after each end of delay and send now; no: "
	  "never (the audit record is written whatever this says)." },
	{ "notify", "max_notice_age", SG_OPT_DURATION, "5d", NULL, 3600, 30 * 86400LL,
	  "A notice that passes the milter is recognised by its signature only "
	  "while its (signed) Date is younger than this, so that an old notice "
	  "cannot be replayed to carry other mail out; older ones are scanned "
	  "like any mail. Generous enough for a notice deferred in Postfix's "
	  "queue (Postfix retries for maximal_queue_lifetime, 5 days by "
	  "default)." },

	{ "approval", "category_order", SG_OPT_LIST,
	  "classified, personal-data, dangerous-attachment, unencrypted-attachment, "
	  "exposed-recipients, private-recipient, scan-limit",
	  "classified|classified-3|personal-data|dangerous-attachment|"
	  "unencrypted-attachment|exposed-recipients|private-recipient|scan-limit", 0, 0,
	  "Which category's approvers decide a hold that has several: the "
	  "first of these with a category:NAME line in [approvers]. Its "
	  "approvers replace the sender's glob and default (classified-3 is "
	  "tried just before classified)." },

	/* Issue 18 items 2-4: the checklist, several approvers, escalation. */
	{ "approval", "checklist", SG_OPT_LIST,
	  "宛先は正しい, 添付ファイルは送ってよいものだけである, 本文に誤りや不要な個人情報はない",
	  NULL, 0, 0,
	  "The sentences an approver confirms before approving (宛先 / 添付ファイル / "
	  "本文 by default), each a checkbox on the page; approving needs every one "
	  "ticked (sendguardctl approve --checked all). The ticks are stored with "
	  "the decision. Separate items with commas (so an item has none); empty: "
	  "no checklist." },
	{ "approval", "required", SG_OPT_INT, "1", NULL, 1, 16,
	  "How many distinct assigned approvers must approve a hold before it is "
	  "released (the sender never counts, nor one person twice, even as a "
	  "proxy). One reject ends the hold. Fixed for each hold when it is held." },
	{ "approval", "required_classified", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category classified (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "required_classified-3", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category classified-3 (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "required_personal-data", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category personal-data (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "required_dangerous-attachment", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category dangerous-attachment (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "required_unencrypted-attachment", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category unencrypted-attachment (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "required_exposed-recipients", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category exposed-recipients (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "required_private-recipient", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category private-recipient (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "required_scan-limit", SG_OPT_INT, "0", NULL, 0, 16,
	  "Approvals needed for a hold with category scan-limit (0: as required). A hold "
	  "with several categories needs the largest of their numbers." },
	{ "approval", "escalate_after", SG_OPT_DURATION, "0", NULL, 0, 365 * 86400LL,
	  "After this long with nobody deciding a hold, one notice goes to the "
	  "escalation address of its category (escalate_<category>, else "
	  "escalate_to), sent once by the expiry run (sendguardctl expire). 0: "
	  "never." },
	{ "approval", "escalate_to", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds whose category has no escalate_<category>: "
	  "an address in an internal domain, or empty (none)." },
	{ "approval", "escalate_classified", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category classified (empty: escalate_to)." },
	{ "approval", "escalate_classified-3", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category classified-3 (empty: escalate_to)." },
	{ "approval", "escalate_personal-data", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category personal-data (empty: escalate_to)." },
	{ "approval", "escalate_dangerous-attachment", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category dangerous-attachment (empty: escalate_to)." },
	{ "approval", "escalate_unencrypted-attachment", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category unencrypted-attachment (empty: escalate_to)." },
	{ "approval", "escalate_exposed-recipients", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category exposed-recipients (empty: escalate_to)." },
	{ "approval", "escalate_private-recipient", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category private-recipient (empty: escalate_to)." },
	{ "approval", "escalate_scan-limit", SG_OPT_STRING, "", NULL, 0, 0,
	  "Escalation address for holds with category scan-limit (empty: escalate_to)." },

	{ "keys", "dir", SG_OPT_PATH, "/etc/sendguard/keys", NULL, 0, 0,
	  "Directory of the HMAC keys (one file a key id, mode 0600, made by "
	  "sendguardctl keygen). The newest key signs; every key verifies, so "
	  "keys rotate with an overlap." },

	{ "web", "base_url", SG_OPT_STRING, "http://127.0.0.1:8025", NULL, 0, 0,
	  "Public address of the approval page, used in notice links "
	  "({base_url}/hold/ID?t=TOKEN, {base_url}/holds?t=TOKEN). A path "
	  "(https://mail.example.lg.jp/sendguard) is kept in the page's own "
	  "links; the reverse proxy strips it." },
	{ "web", "listen", SG_OPT_STRING, "127.0.0.1:8025", NULL, 0, 0,
	  "Where sendguard-web listens: ADDRESS:PORT or [IPv6]:PORT. Keep it "
	  "on loopback behind a reverse proxy that terminates TLS." },
	{ "web", "user", SG_OPT_STRING, "", NULL, 0, 0,
	  "Unprivileged user sendguard-web runs as when started as root. "
	  "Empty: the store's owner (it must write the store and read the "
	  "keys). It never runs as root." },
	{ "web", "trusted_user_header", SG_OPT_STRING, "", NULL, 0, 0,
	  "Request header in which the reverse proxy passes the person it "
	  "authenticated (an e-mail address), e.g. X-Remote-User. Believed "
	  "only from a proxy that proves itself: proxy_secret_file "
	  "(recommended), or listen = unix:PATH with proxy_uid; without "
	  "either, the page does not start. Empty: off; only signed links "
	  "identify a person." },
	{ "web", "proxy_secret_file", SG_OPT_PATH, "", NULL, 0, 0,
	  "File with the secret (one line, at least 32 printable characters, "
	  "e.g. openssl rand -hex 32) that the reverse proxy sends in "
	  "proxy_secret_header on every request; it must belong to the user "
	  "sendguard-web runs as, mode 0600 or 0400. Only a loopback request "
	  "carrying it may use trusted_user_header and proxy_client_header. "
	  "Empty: no secret." },
	{ "web", "proxy_secret_header", SG_OPT_STRING, "X-Sendguard-Proxy-Secret",
	  NULL, 0, 0,
	  "Request header that carries the proxy's secret." },
	{ "web", "proxy_uid", SG_OPT_STRING, "", NULL, 0, 0,
	  "With listen = unix:PATH: the user (name or number) whose "
	  "connections are the reverse proxy (SO_PEERCRED); only they may use "
	  "trusted_user_header. Often www-data, shared by every web "
	  "application on the host: prefer proxy_secret_file there. Empty: "
	  "none." },
	{ "web", "proxy_client_header", SG_OPT_STRING, "X-Real-IP", NULL, 0, 0,
	  "Request header in which a proven proxy names the client (nginx: "
	  "proxy_set_header X-Real-IP $remote_addr), for the per-client "
	  "limit; behind a proxy every peer is the proxy." },
	{ "web", "token_lifetime", SG_OPT_DURATION, "8h", NULL, 60, 30 * 86400LL,
	  "Lifetime of the links the page itself makes (each row of the list "
	  "of pending holds). Links in notices last until the hold expires." },
	{ "web", "max_connections", SG_OPT_INT, "64", NULL, 4, 10000,
	  "Most connections served at once. When the table is full, the oldest "
	  "connection that has not sent a request yet is closed to make room." },
	{ "web", "max_connections_per_client", SG_OPT_INT, "16", NULL, 1, 10000,
	  "Most connections from one address (for a proven proxy: requests at "
	  "once from one client it reports in proxy_client_header); more are "
	  "closed at once (through the proxy: 429)." },
	{ "web", "timeout", SG_OPT_DURATION, "30s", NULL, 1, 3600,
	  "An idle connection is closed after this time." },
	{ "web", "head_timeout", SG_OPT_DURATION, "10s", NULL, 1, 3600,
	  "A connection must send a whole request head within this time of "
	  "its accept (a kept-alive one: of timeout + this after its last "
	  "answer), however steadily it trickles bytes; it is closed "
	  "otherwise (slow clients, slow-loris)." },
	{ "web", "max_request_size", SG_OPT_SIZE, "16K", NULL, 4096, 1024 * 1024,
	  "Largest request body (a form with its comment) and header block "
	  "accepted; larger requests are refused with 413." },
	{ "web", "allow_download", SG_OPT_BOOL, "yes", NULL, 0, 0,
	  "An approver may download an attachment from the hold page, never "
	  "a dangerous one (a dangerous-attachment finding, or dangerous by "
	  "content); every download is in the audit log. The file comes "
	  "from the gateway's own hold queue through `sendguardctl "
	  "serve-downloads` (root) on download_socket, which checks the "
	  "queue file's X-Sendguard-Hold header; it is served as "
	  "Content-Disposition: attachment, application/octet-stream, "
	  "nosniff and Content-Security-Policy: sandbox." },
	{ "web", "download_socket", SG_OPT_PATH, "/run/sendguard/download.sock", NULL, 0, 0,
	  "Unix socket of `sendguardctl serve-downloads` (root side of "
	  "downloads). Only the store's owner (the page's user) and root may "
	  "ask it; a page on another host has no such socket and says so." },
	{ "web", "max_download", SG_OPT_SIZE, "64M", NULL, 1024, 1024LL * 1024 * 1024,
	  "Largest attachment served for download." },
};

const sg_free_section sg_free_sections[] = {
	{ "approvers",
	  "Who approves whose mail: `sender-glob = approver, approver` "
	  "(case-insensitive glob on the sender, first match in file order), "
	  "`category:NAME = ...` (holds with that category, ahead of the "
	  "globs) and `default = ...`. The sender is never among their own "
	  "approvers." },
};

const size_t sg_nfree_sections = sizeof(sg_free_sections) / sizeof(sg_free_sections[0]);

const size_t sg_noptions = sizeof(sg_options) / sizeof(sg_options[0]);
