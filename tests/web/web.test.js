'use strict';
/*
 * tests/web/web.test.js - the approval page in Debian's chromium, driven
 * by playwright-core (pinned in package-lock.json; executablePath
 * /usr/bin/chromium, never a downloaded browser). Run by
 * tests/web/run.sh, which starts Postfix, the milter, smtp-sink and
 * sendguard-web on loopback, sends the held mail and passes, through
 * SG_WEB_* variables, where everything is. The links come from the
 * notices that arrived at the sink, as an approver would click them.
 * Output: "ok   - ..." / "FAIL - ..." lines, counted by run.sh.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const net = require('net');
const { chromium } = require('playwright-core');

const E = process.env;
const BASE = E.SG_WEB_BASE;
const APPROVER = E.SG_WEB_APPROVER;
const SENDER = E.SG_WEB_SENDER;
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

let failed = 0;
function check(desc, cond) {
	if (cond) {
		console.log('ok   - ' + desc);
	} else {
		failed++;
		console.log('FAIL - ' + desc);
	}
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(fn, secs) {
	for (let i = 0; i < secs * 5; i++) {
		if (await fn()) return true;
		await sleep(200);
	}
	return false;
}

/* ------------------------------------------------------- the harness */

const holds = {};
for (const line of fs.readFileSync(E.SG_WEB_HOLDS, 'utf8').split('\n')) {
	const [name, qid, hid] = line.trim().split(/\s+/);
	if (hid) holds[name] = { qid, hid };
}

function sql(q) {
	return execFileSync('sqlite3', ['-readonly', '-batch', '-noheader', E.SG_WEB_DB, q],
		{ encoding: 'utf8' }).trim();
}
const statusOf = (hid) => sql(`SELECT status || '/' || applied FROM holds WHERE id = '${hid}';`);
function apply() {
	try {
		execFileSync(E.SG_WEB_CTL, ['-c', E.SG_WEB_CONF, 'apply'], { encoding: 'utf8', stdio: 'pipe' });
		return 0;
	} catch (e) {
		return e.status;
	}
}
function inQueue(qid) {
	const out = execFileSync('postqueue', ['-c', E.SG_WEB_PFDIR, '-j'], { encoding: 'utf8' });
	return out.split('\n').filter(Boolean).some((l) => JSON.parse(l).queue_id === qid);
}
function sinkFiles() {
	const out = [];
	for (const f of fs.readdirSync(E.SG_WEB_SINK)) out.push(fs.readFileSync(path.join(E.SG_WEB_SINK, f), 'latin1'));
	return out;
}
const delivered = (name) => sinkFiles().filter((t) => new RegExp(`^X-E2E-Id: web-${name}\\r?$`, 'm').test(t)).length;

/* Notices at the sink: recipient and decoded (base64, UTF-8) body. */
function notices() {
	const out = [];
	for (const raw of sinkFiles()) {
		if (!/^X-Sendguard-Notice:/m.test(raw)) continue;
		const rcpt = (raw.match(/^X-Rcpt-Args: <([^>]*)>/m) || [])[1];
		const sep = raw.search(/\r?\n\r?\n/);
		const body = Buffer.from(raw.slice(sep).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('utf8');
		out.push({ rcpt, body });
	}
	return out;
}
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/* The link of `kind` ("hold" or "holds") for hold hid in person's notice. */
function linkFor(hid, person, kind = 'hold') {
	for (const n of notices()) {
		if (n.rcpt !== person || !n.body.includes(hid)) continue;
		const re = kind === 'hold' ? new RegExp(`${esc(BASE)}/hold/${hid}\\?t=[A-Za-z0-9_.-]+`)
			: new RegExp(`${esc(BASE)}/holds\\?t=[A-Za-z0-9_.-]+`);
		const m = n.body.match(re);
		if (m) return m[0];
	}
	return null;
}

/* A token in the format of ARCHITECTURE.md, signed with the newest key of
 * [keys] dir: base64url("kid.hold.person.expiry") "." base64url(mac). */
function mintToken(hid, person, expiry) {
	const kid = fs.readdirSync(E.SG_WEB_KEYS).sort().pop();
	const text = fs.readFileSync(path.join(E.SG_WEB_KEYS, kid), 'utf8').trim();
	const key = /^([0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex')
		: Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
	const payload = `${kid}.${hid}.${person}.${expiry}`;
	const mac = crypto.createHmac('sha256', key).update('sendguard-token\n' + payload).digest();
	return Buffer.from(payload).toString('base64url') + '.' + mac.toString('base64url');
}

/* ------------------------------------------------------------- tests */

async function submit(page, button) {
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST'),
		page.click(button),
	]);
	await page.waitForLoadState();
	return resp;
}

/* Ticks every box of the [approval] checklist (issue 18). */
async function tickAll(page) {
	for (const c of await page.locator('#checklist input[type=checkbox]').all()) await c.check();
}

async function testApprove(ctx) {
	const h = holds.approve;
	const link = linkFor(h.hid, APPROVER);
	check('the approval request at the sink carries a link to the hold page', !!link);
	const page = await ctx.newPage();
	const resp = await page.goto(link);
	check('the approver opens the link: 200', resp.status() === 200);
	const hdr = resp.headers();
	check('CSP: default-src none, style-src self, no framing',
		/default-src 'none'; style-src 'self'/.test(hdr['content-security-policy'] || '') &&
		/frame-ancestors 'none'/.test(hdr['content-security-policy']));
	check('X-Frame-Options DENY, nosniff, no-referrer, no-store',
		hdr['x-frame-options'] === 'DENY' && hdr['x-content-type-options'] === 'nosniff' &&
		hdr['referrer-policy'] === 'no-referrer' && hdr['cache-control'] === 'no-store');
	const text = await page.locator('main').innerText();
	check('the page shows the subject, in Japanese', text.includes('令和7年度'));
	check('the external recipient is marked', /uketsuke@kenshin-center\.example>?\s*外部/.test(text));
	check('the attachment is listed as not encrypted', text.includes('暗号化なし') && text.includes('.xlsx'));
	check('the finding says where', (await page.locator('#findings .where').count()) > 0);
	check('the stylesheet is served by the page itself',
		(await page.evaluate(() => getComputedStyle(document.querySelector('button.approve')).backgroundColor)) !== 'rgba(0, 0, 0, 0)');
	fs.mkdirSync(E.SG_WEB_OUT, { recursive: true });
	await page.screenshot({ path: path.join(E.SG_WEB_OUT, 'hold-page.png'), fullPage: true });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: path.join(E.SG_WEB_OUT, 'hold-page-phone.png'), fullPage: true });
	const wide = await page.evaluate(() => document.documentElement.scrollWidth);
	check(`readable on a phone: no sideways scrolling at 390 px (page is ${wide} px wide)`, wide <= 390);
	await page.setViewportSize({ width: 1000, height: 800 });

	await page.fill('#comment', '確認しました。送信してください。');
	await tickAll(page);
	const post = await submit(page, '#approve');
	check('approve: POST answered 303', post.status() === 303);
	check('the page says it was recorded and goes out within a minute',
		page.url().includes('done=approve') && (await page.locator('#done').innerText()).includes('1分以内'));
	check('the store says approved, not yet applied', statusOf(h.hid) === 'approved/0');
	check('the audit record names the approver and the web page',
		sql(`SELECT actor || '|' || unix_user FROM audit WHERE event = 'approve' AND hold_id = '${h.hid}';`)
			.startsWith(`${APPROVER}|sendguard via sendguard-web, signed link`));
	check('the comment is kept', sql(`SELECT decision_comment FROM holds WHERE id = '${h.hid}';`) === '確認しました。送信してください。');
	check('sendguardctl apply exits 0', apply() === 0);
	check('the approved message reaches the sink', await waitFor(() => delivered('approve') === 1, 30));
	check('the sender is told (outcome notice, as with sendguardctl)',
		Number(sql(`SELECT count(*) FROM audit WHERE event = 'notice' AND hold_id = '${h.hid}' AND detail LIKE '%approved_sender%';`)) === 1);
	await page.reload();
	check('after apply the page says it was sent', (await page.locator('#status').innerText()).includes('送信されました'));
	check('no approve button once decided', (await page.locator('#approve').count()) === 0);
	await page.close();
}

/* Issue 18 items 2-3 on the real Postfix: the checklist, a reject
 * needs a reason, and with required_classified = 2 the first approval
 * leaves the mail held and the second delivers it exactly once. */
async function testChecklistAndTwoApprovers(ctx) {
	const h = holds.classified;
	const SO = 'security-officer@example.lg.jp';
	check('the classified hold needs 2 approvals (required_classified = 2)',
		sql(`SELECT required FROM holds WHERE id = '${h.hid}';`) === '2');
	const page = await ctx.newPage();
	await page.goto(linkFor(h.hid, APPROVER));
	const boxes = await page.locator('#checklist input[type=checkbox]').count();
	check(`the page shows the checklist (${boxes} items)`, boxes === 3);
	check('the checklist is in Japanese', (await page.locator('#checklist').innerText()).includes('宛先は正しい'));
	check('the page says two approvals are needed', (await page.locator('#status').innerText()).includes('0 / 2'));
	let post = await submit(page, '#approve');
	check(`approving without the checklist is refused (${post.status()})`, post.status() === 409);
	check('the refusal says to tick the checklist', (await page.locator('main').innerText()).includes('確認項目'));
	check('nothing was decided', statusOf(h.hid) === 'pending/0');
	await page.goto(linkFor(h.hid, APPROVER));
	await page.locator('#check1').check();
	post = await submit(page, '#approve');
	check(`approving with one item of three is refused (${post.status()})`, post.status() === 409);
	await page.goto(linkFor(h.hid, APPROVER));
	await tickAll(page);
	post = await submit(page, '#approve');
	check('the first approval: 303', post.status() === 303);
	check('the page says one more approval is needed',
		(await page.locator('#partial').innerText()).includes('あと 1 人'));
	check('after the first approval the mail stays held (pending)', statusOf(h.hid) === 'pending/0');
	check('the partial approval is audited with the ticks',
		sql(`SELECT count(*) FROM audit WHERE event = 'approve-partial' AND hold_id = '${h.hid}'`
			+ ` AND detail LIKE '%宛先は正しい%';`) === '1');
	check('apply exits 0', apply() === 0);
	await sleep(2000);
	check('nothing is delivered after one approval', delivered('classified') === 0);
	check('still in the hold queue', inQueue(h.qid));
	await page.reload();
	check('the first approver sees that they approved and who is awaited',
		(await page.locator('#voted').count()) === 1 && (await page.locator('#approve').count()) === 0);
	await page.close();

	const so = await ctx.newPage();
	await so.goto(linkFor(h.hid, SO));
	post = await submit(so, '#reject');
	check(`a reject without a reason is refused (${post.status()})`, post.status() === 409);
	check('the refusal says a reason is needed', (await so.locator('main').innerText()).includes('理由'));
	check('still pending', statusOf(h.hid) === 'pending/0');
	await so.goto(linkFor(h.hid, SO));
	await tickAll(so);
	post = await submit(so, '#approve');
	check('the second approval: 303, done', post.status() === 303 && so.url().includes('done=approve'));
	check('after the second approval the hold is approved', statusOf(h.hid) === 'approved/0');
	check('both approvals are recorded with their ticks',
		sql(`SELECT count(*) FROM approvals WHERE hold_id = '${h.hid}' AND verdict = 'approve'`
			+ ` AND checked LIKE '%本文%';`) === '2');
	check('apply exits 0', apply() === 0);
	check('the mail is delivered', await waitFor(() => delivered('classified') >= 1, 30));
	check('apply again exits 0', apply() === 0);
	await sleep(2000);
	check('delivered exactly once', delivered('classified') === 1);
	check('the first approver is told that another decided',
		await waitFor(() => notices().some((n) => n.rcpt === APPROVER && n.body.includes(h.hid)
			&& n.body.includes('判断しました')), 30));
	await so.close();
}

async function testReject(ctx) {
	const h = holds.reject;
	const page = await ctx.newPage();
	await page.goto(linkFor(h.hid, 'kakaricho@example.lg.jp'));
	await page.fill('#comment', 'パスワードを設定して再送してください');
	const post = await submit(page, '#reject');
	check('reject by the second approver: 303', post.status() === 303 && page.url().includes('done=reject'));
	check('apply after reject exits 0', apply() === 0);
	check('rejected mail is gone from the queue', !inQueue(h.qid));
	check('rejected, applied', statusOf(h.hid) === 'rejected/1');
	await sleep(2000);
	check('rejected mail never reaches the sink', delivered('reject') === 0);
	await page.close();
}

async function testWithdraw(ctx) {
	const h = holds.withdraw;
	const link = linkFor(h.hid, SENDER);
	check("the sender's hold notice carries a link", !!link);
	const page = await ctx.newPage();
	await page.goto(link);
	check('the sender sees withdraw, not approve',
		(await page.locator('#withdraw').count()) === 1 && (await page.locator('#approve').count()) === 0);
	const post = await submit(page, '#withdraw');
	check('withdraw: 303', post.status() === 303 && page.url().includes('done=withdraw'));
	check('apply after withdraw exits 0', apply() === 0);
	check('withdrawn, applied, gone from the queue', statusOf(h.hid) === 'withdrawn/1' && !inQueue(h.qid));
	await page.close();
}

async function testList(ctx) {
	const h = holds.csrf;
	const link = linkFor(h.hid, APPROVER, 'holds');
	check('the approval request carries a list link', !!link);
	const page = await ctx.newPage();
	const resp = await page.goto(link);
	check('the list opens: 200', resp.status() === 200);
	const rows = page.locator(`a[href*="/hold/${h.hid}?t="]`);
	check('the list shows a pending hold of this approver', (await rows.count()) === 1);
	check('decided holds are not listed', (await page.locator(`a[href*="/hold/${holds.approve.hid}"]`).count()) === 0);
	const row = await page.locator('table.list tbody tr').first().locator('td').allInnerTexts();
	check(`the list shows times as on the hold page, 2026年12月7日(月) 23:08 (${row[0]})`,
		/^\d{4}年\d{1,2}月\d{1,2}日\([日月火水木金土]\) \d{2}:\d{2}$/.test(row[0]) &&
		/^\d{4}-\d{2}-\d{2}T/.test(await page.locator('table.list tbody tr time').first().getAttribute('datetime')));
	check(`the list names the sender as the mail does, 佐藤 花子 <address> (${row[1]})`,
		row[1].includes('佐藤 花子') && row[1].includes('<sato-h@'));
	check(`the list names the categories, not rule identifiers (${row[3]})`,
		row[3].length > 0 && !/^[a-z-]+(, [a-z-]+)*$/.test(row[3]) && !/personal-data|classified|unencrypted-attachment/.test(row[3]));
	const href = await rows.first().getAttribute('href');
	check('each row links with its own per-hold token', !href.includes(link.split('t=')[1]));
	await rows.first().click();
	await page.waitForLoadState();
	check('the row opens the hold page with the approve button', (await page.locator('#approve').count()) === 1);
	const other = await ctx.newPage();
	const r2 = await other.goto(`${BASE}/hold/${holds.xss.hid}?t=${href.split('t=')[1]}`);
	check("one hold's token does not open another hold (403)", r2.status() === 403);
	await other.close();
	await page.close();
}

async function testCsrf(ctx) {
	const h = holds.csrf;
	const page = await ctx.newPage();
	await page.goto(linkFor(h.hid, APPROVER));
	await page.evaluate(() => { document.querySelector('input[name=csrf]').value = 'k.9999999999.AAAA'; });
	let post = await submit(page, '#approve');
	check('a POST with a wrong CSRF value is refused (403)', post.status() === 403);
	await page.goto(linkFor(h.hid, APPROVER));
	await page.evaluate(() => document.querySelector('input[name=csrf]').remove());
	post = await submit(page, '#reject');
	check('a POST without a CSRF value is refused (403)', post.status() === 403);
	check('the page says why', (await page.locator('main').innerText()).includes('check value'));
	check('nothing was decided', statusOf(h.hid) === 'pending/0');
	const token = new URL(linkFor(h.hid, APPROVER)).searchParams.get('t');
	const r = await fetch(`${BASE}/hold/${h.hid}`, { method: 'POST', redirect: 'manual',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: `t=${token}&action=approve` });
	check('a forged form from another client without CSRF is refused (403)', r.status === 403);
	check('still nothing decided', statusOf(h.hid) === 'pending/0');
	await page.close();
}

async function testForgedExpired(ctx) {
	const h = holds.csrf;
	const link = linkFor(h.hid, APPROVER);
	const page = await ctx.newPage();
	const [payload, mac] = new URL(link).searchParams.get('t').split('.');
	const flipped = mac.slice(0, 10) + (mac[10] === 'A' ? 'B' : 'A') + mac.slice(11);
	let r = await page.goto(`${BASE}/hold/${h.hid}?t=${payload}.${flipped}`);
	check('a forged link (altered MAC) gets 403', r.status() === 403);
	check('the 403 page says the link is not valid, in Japanese and English',
		(await page.locator('main').innerText()).includes('正しくありません') &&
		(await page.locator('main').innerText()).includes('not valid'));
	const other = Buffer.from(Buffer.from(payload, 'base64url').toString().replace(APPROVER, 'bucho@example.lg.jp')).toString('base64url');
	r = await page.goto(`${BASE}/hold/${h.hid}?t=${other}.${mac}`);
	check('a link re-addressed to another person gets 403', r.status() === 403);
	const now = Math.floor(Date.now() / 1000);
	r = await page.goto(`${BASE}/hold/${h.hid}?t=${mintToken(h.hid, APPROVER, now + 600)}`);
	check('(a token made by the test with the key opens the page: the format is right)', r.status() === 200);
	r = await page.goto(`${BASE}/hold/${h.hid}?t=${mintToken(h.hid, APPROVER, now - 60)}`);
	check('an expired link gets 403', r.status() === 403);
	check('the 403 page says it expired', (await page.locator('main').innerText()).includes('有効期限'));
	r = await page.goto(`${BASE}/hold/${h.hid}`);
	check('no link at all gets 403', r.status() === 403);
	await page.close();
}

async function testXss(ctx) {
	const h = holds.xss;
	const page = await ctx.newPage();
	const dialogs = [];
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	const resp = await page.goto(linkFor(h.hid, APPROVER));
	check('the XSS hold page opens: 200', resp.status() === 200);
	await sleep(1000);
	const subject = await page.locator('#subject').innerText();
	check('the <script> in the subject is shown as text', subject.includes('<script>alert(1)</script>'));
	check('the <img onerror> in the subject is shown as text', subject.includes('<img src=x onerror=alert(2)>'));
	const atts = await page.locator('#attachments').innerText();
	check('the <img onerror> file name is shown as text', atts.includes('<img src=x onerror=alert(1)>.xlsx'));
	check('no script or img element came from the message',
		(await page.locator('script').count()) === 0 && (await page.locator('img').count()) === 0);
	const list = await ctx.newPage();
	list.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	await list.goto(linkFor(h.hid, APPROVER, 'holds'));
	await sleep(500);
	check('the list shows the subject as text too', (await list.locator('main').innerText()).includes('<script>alert(1)</script>'));
	check(`no dialog fired (${dialogs.length})`, dialogs.length === 0);
	await list.close();
	await page.close();
}

async function testHttp() {
	let r = await fetch(`${BASE}/hold/habc`, { method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x'.repeat(100000) });
	check(`a body over max_request_size is refused (413, got ${r.status})`, r.status === 413);
	r = await fetch(`${BASE}/holds`, { method: 'DELETE' });
	check(`other methods are refused (405, got ${r.status})`, r.status === 405);
	r = await fetch(`${BASE}/hold/../../etc/passwd`);
	check(`odd paths are 404 (got ${r.status})`, r.status === 404 || r.status === 403);
	r = await fetch(`${BASE}/hold/${holds.csrf.hid}`, { headers: { 'X-Remote-User': APPROVER } });
	check(`the user header is ignored while trusted_user_header is off (403, got ${r.status})`, r.status === 403);
}

/* ------------------------------------------------------- under load */

const PORT = Number(new URL(BASE).port);
const HEAD_TIMEOUT = Number(E.SG_WEB_HEAD_TIMEOUT || 5);

/* A connection from localAddress that sends `first` and then nothing;
 * resolves with the socket once connected; s.closedAt is set when the
 * server ends it. */
function idleConn(localAddress, first = '') {
	return new Promise((resolve) => {
		const s = net.connect({ host: '127.0.0.1', port: PORT, localAddress });
		s.openedAt = Date.now();
		s.closedAt = null;
		s.on('connect', () => { if (first) s.write(first); resolve(s); });
		s.on('data', () => {});
		s.on('error', () => {});
		s.on('close', () => { s.closedAt = Date.now(); resolve(s); });
	});
}

/* 64 idle connections from 127.0.0.2-127.0.0.65 (Linux routes all of
 * 127/8 to loopback: 64 "clients") fill [web] max_connections; the
 * real approver on 127.0.0.1 still gets the page, because the oldest
 * connection that has sent no request gives way. */
async function testIdleFlood(ctx) {
	const h = holds.csrf;
	const socks = [];
	for (let i = 2; i <= 65; i++) socks.push(await idleConn(`127.0.0.${i}`));
	await sleep(300);
	const open = socks.filter((s) => s.closedAt === null).length;
	check(`64 idle connections from 64 addresses are open (${open} still open, the table keeps a slot free)`,
		open >= 60);
	const page = await ctx.newPage();
	const t0 = Date.now();
	const resp = await page.goto(linkFor(h.hid, APPROVER));
	const text = await page.locator('main').innerText();
	check(`with 64 idle connections held, the approver on 127.0.0.1 gets the page (${resp.status()}, ${Date.now() - t0} ms)`,
		resp.status() === 200 && text.includes(h.hid) && Date.now() - t0 < HEAD_TIMEOUT * 1000);
	await page.close();
	const evicted = socks.filter((s) => s.closedAt !== null).length;
	check(`idle connections gave way to the approver (${evicted} cut)`, evicted >= 1);
	await waitFor(() => socks.every((s) => s.closedAt !== null), HEAD_TIMEOUT + 5);
	const late = socks.filter((s) => s.closedAt === null).length;
	check(`every idle connection is cut by the head deadline (${HEAD_TIMEOUT}s; ${late} left)`, late === 0);
	socks.forEach((s) => s.destroy());
}

/* One address opens 30 connections: past [web]
 * max_connections_per_client (16 by default) they are cut at once. */
async function testPerClient() {
	const limit = Number(E.SG_WEB_PER_CLIENT || 16);
	const socks = [];
	for (let i = 0; i < 30; i++) socks.push(await idleConn('127.0.0.70'));
	await sleep(1000);
	const open = socks.filter((s) => s.closedAt === null).length;
	check(`one address keeps at most max_connections_per_client connections (${limit}; ${open} open)`,
		open === limit);
	const r = await fetch(`${BASE}/`);
	check(`another client is served meanwhile (${r.status})`, r.status === 200);
	socks.forEach((s) => s.destroy());
}

/* A slow-loris client sends its request head one line a second: every
 * byte resets libmicrohttpd's idle timeout, the head deadline (from
 * accept) cuts it all the same. */
async function testSlowLoris() {
	const s = await idleConn('127.0.0.66', 'GET / HTTP/1.1\r\nHost: x\r\n');
	let lines = 0;
	const timer = setInterval(() => {
		if (s.closedAt === null) { s.write(`X-Slow-${lines++}: a\r\n`); }
	}, 1000);
	await waitFor(() => s.closedAt !== null, HEAD_TIMEOUT + 10);
	clearInterval(timer);
	const secs = s.closedAt === null ? -1 : (s.closedAt - s.openedAt) / 1000;
	check(`a slow-loris client (a header line a second, ${lines} sent) is cut at the head deadline `
		+ `(${HEAD_TIMEOUT}s): after ${secs}s`, secs >= HEAD_TIMEOUT - 0.5 && secs <= HEAD_TIMEOUT + 2);
	s.destroy();
}

(async () => {
	const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-chromium-'));
	let ctx;
	try {
		ctx = await chromium.launchPersistentContext(udd, {
			executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS,
			viewport: { width: 1000, height: 800 }, locale: 'ja-JP',
		});
		for (const t of [testApprove, testChecklistAndTwoApprovers, testReject, testWithdraw,
			testList, testCsrf, testForgedExpired, testXss]) {
			try {
				await t(ctx);
			} catch (e) {
				check(`${t.name} ran to the end: ${e.message.split('\n')[0]}`, false);
			}
		}
		await testHttp();
		for (const t of [testIdleFlood, testPerClient, testSlowLoris]) {
			try {
				await t(ctx);
			} catch (e) {
				check(`${t.name} ran to the end: ${e.message.split('\n')[0]}`, false);
			}
		}
	} finally {
		if (ctx) await ctx.close();
		fs.rmSync(udd, { recursive: true, force: true });
	}
	process.exit(failed ? 1 : 0);
})().catch((e) => {
	console.log('FAIL - the browser could not be driven: ' + e.message);
	process.exit(1);
});
