'use strict';
/*
 * tests/web/preview.test.js - the approver sees the content (issue 18
 * item 1), in Debian's chromium driven by playwright-core (pinned in
 * package-lock.json; executablePath /usr/bin/chromium, never a
 * downloaded browser). Run by tests/web/preview.sh, which holds
 * tests/web/mail/preview_zip_xlsx.eml and passes where everything is
 * through SG_WEB_* variables. The links come from the notices at the
 * sink, as an approver or the sender would click them.
 * Output: "ok   - ..." / "FAIL - ..." lines, counted by preview.sh.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const E = process.env;
const BASE = E.SG_WEB_BASE;
const APPROVER = E.SG_WEB_APPROVER;
const SENDER = E.SG_WEB_SENDER;
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

const BODY_SENTENCE = '本日の説明会の資料を添付いたします。ご確認ください。';
const SHEET = '参加者名簿';
const FIRST_ROW = ['氏名', '所属', '内線'];

let failed = 0;
function check(desc, cond) {
	if (cond) {
		console.log('ok   - ' + desc);
	} else {
		failed++;
		console.log('FAIL - ' + desc);
	}
}

const holds = {};
for (const line of fs.readFileSync(E.SG_WEB_HOLDS, 'utf8').split('\n')) {
	const [name, qid, hid] = line.trim().split(/\s+/);
	if (hid) holds[name] = { qid, hid };
}
function sql(q) {
	return execFileSync('sqlite3', ['-readonly', '-batch', '-noheader', '-cmd', '.timeout 10000',
		E.SG_WEB_DB, q], { encoding: 'utf8' }).trim();
}

/* Notices at the sink: recipient and decoded (base64, UTF-8) body. */
function notices() {
	const out = [];
	for (const f of fs.readdirSync(E.SG_WEB_SINK)) {
		const raw = fs.readFileSync(path.join(E.SG_WEB_SINK, f), 'latin1');
		if (!/^X-Sendguard-Notice:/m.test(raw)) continue;
		const rcpt = (raw.match(/^X-Rcpt-Args: <([^>]*)>/m) || [])[1];
		const sep = raw.search(/\r?\n\r?\n/);
		const body = Buffer.from(raw.slice(sep).replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('utf8');
		out.push({ rcpt, body });
	}
	return out;
}
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function linkFor(hid, person) {
	for (const n of notices()) {
		if (n.rcpt !== person || !n.body.includes(hid)) continue;
		const m = n.body.match(new RegExp(`${esc(BASE)}/hold/${hid}\\?t=[A-Za-z0-9_.-]+`));
		if (m) return m[0];
	}
	return null;
}

async function testApproverSeesContent(ctx) {
	const h = holds.preview;
	const link = linkFor(h.hid, APPROVER);
	check('the approval request carries a link to the hold page', !!link);
	const page = await ctx.newPage();
	const dialogs = [];
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	const resp = await page.goto(link);
	check('the approver opens the link: 200', resp.status() === 200);
	const pv = await page.locator('#preview').innerText();
	check('the page shows the body sentence', pv.includes(BODY_SENTENCE));
	check('the Subject as written (（案）①, not NFKC-normalised)',
		(await page.locator('#pv-subject').innerText()) === '（案）① 説明会資料の送付');
	check('From and To as written, with display names',
		(await page.locator('#pv-from').innerText()).includes('保健福祉課 佐藤 花子') &&
		(await page.locator('#pv-to').innerText()).includes('健診センター 受付'));
	check('the Bcc is the envelope recipient in neither To nor Cc',
		(await page.locator('#pv-bcc').innerText()).trim() === 'hidden@gmail.com');
	const atts = await page.locator('#attachments').innerText();
	check('the sheet name of the xlsx inside the zip is shown', atts.includes(SHEET) &&
		(await page.locator('#attachments .sheetname').first().innerText()) === SHEET);
	const firstRow = await page.locator('#attachments table.cells tr').first()
		.locator('td').allInnerTexts();
	check(`the first row is shown (${JSON.stringify(firstRow)})`,
		JSON.stringify(firstRow) === JSON.stringify(FIRST_ROW));
	check('row and column counts are shown', atts.includes('4 行 × 3 列'));
	check('the zip and the xlsx are listed with type, size and "not encrypted"',
		atts.includes('説明会資料.zip') && atts.includes('参加者一覧.xlsx') &&
		atts.includes('ZIP 圧縮ファイル') && atts.includes('Excel ブック') && !atts.includes('application/zip') && atts.includes('暗号化なし') && /\d+(\.\d)? KB/.test(atts));
	check("the findings' places are marked on the attachments",
		(await page.locator('#attachments .badge.found').count()) >= 2);
	check('the HTML attachment\'s <script> is shown as text',
		atts.includes("<script>document.title='pwned'</script>"));
	check('no script element and no dialog came from the message',
		(await page.locator('script').count()) === 0 && dialogs.length === 0 &&
		!(await page.title()).includes('pwned'));
	check(`the sender is named as the mail names them (${await page.locator('#sender').innerText()})`,
		(await page.locator('#sender').innerText()).trim() === '保健福祉課 佐藤 花子 <sato-h@example.lg.jp>');
	check('a recipient is named as the To names them',
		(await page.locator('#rcpts').innerText()).includes('健診センター 受付 <uketsuke@kenshin-center.example>'));
	const facts = await page.locator('#categories').innerText();
	check(`the categories by name, not rule identifiers (${facts.replace(/\s+/g, ' ')})`,
		facts.includes('暗号化されていない添付ファイル') && !/unencrypted-attachment|private-recipient/.test(facts));
	const fnd = await page.locator('#findings').innerText();
	check('a private-recipient finding is placed at the recipients, not at an attachment',
		fnd.includes('宛先 (gmail.com のアドレス)') && !fnd.includes('添付ファイル「recipient:'));
	const dom = await page.content();
	for (const w of ['本文', '件名', '宛先', '添付ファイル', '受信者に届く内容']) {
		check(`the Japanese word ${w} is in the DOM`, dom.includes(w));
	}
	fs.mkdirSync(E.SG_WEB_OUT, { recursive: true });
	await page.setViewportSize({ width: 1280, height: 900 });
	await page.screenshot({ path: path.join(E.SG_WEB_OUT, 'preview-1280.png'), fullPage: true });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: path.join(E.SG_WEB_OUT, 'preview-390.png'), fullPage: true });
	const wide = await page.evaluate(() => document.documentElement.scrollWidth);
	check(`no sideways scrolling at 390 px (scrollWidth ${wide} <= 390)`, wide <= 390);
	const fonts = await page.evaluate(() => document.fonts.check('16px "Noto Sans CJK JP"'));
	check('the CJK font is available to the page', fonts);
	await page.close();
}

async function testSenderAndForged(ctx) {
	const h = holds.preview;
	const link = linkFor(h.hid, SENDER);
	check("the sender's hold notice carries a link", !!link);
	const page = await ctx.newPage();
	await page.goto(link);
	check('the sender sees the content too',
		(await page.locator('#preview').innerText()).includes(BODY_SENTENCE));
	const a = new URL(linkFor(h.hid, APPROVER)).searchParams.get('t').split('.');
	const flipped = a[1].slice(0, 10) + (a[1][10] === 'A' ? 'B' : 'A') + a[1].slice(11);
	const r = await page.goto(`${BASE}/hold/${h.hid}?t=${a[0]}.${flipped}`);
	const text = await page.locator('body').innerText();
	check('a forged link gets 403 and no content', r.status() === 403 &&
		!text.includes(BODY_SENTENCE) && !text.includes(SHEET));
	const r2 = await page.goto(`${BASE}/hold/${h.hid}`);
	check('no link: 403 and no content', r2.status() === 403 &&
		!(await page.locator('body').innerText()).includes(BODY_SENTENCE));
	await page.close();
}

/* Submits the download form of the attachment at inventory path p and
 * returns [response, download]. */
async function download(page, p) {
	const [resp, dl] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST'),
		page.waitForEvent('download'),
		page.click(`form:has(input[name=path][value="${p}"]) button.dl`),
	]);
	return [resp, dl];
}

async function testDownloads(ctx) {
	const h = holds.preview;
	const page = await ctx.newPage();
	const dialogs = [];
	page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
	const link = linkFor(h.hid, APPROVER);
	await page.goto(link);
	check('the approver sees a download button per attachment',
		(await page.locator('button.dl').count()) >= 2);
	let [resp, dl] = await download(page, '2');
	const zip = fs.readFileSync(await dl.path());
	check(`the zip downloads as sent (${zip.length} bytes)`,
		zip.equals(fs.readFileSync(path.join(E.SG_WEB_ATTS, 'att-2'))));
	check('the zip is served as an attachment named with RFC 6266 filename*',
		/^attachment; filename="[^"]*"; filename\*=UTF-8''%E8%AA%AC%E6%98%8E%E4%BC%9A%E8%B3%87%E6%96%99\.zip$/
			.test(resp.headers()['content-disposition'] || ''));
	const urlBefore = page.url();
	[resp, dl] = await download(page, '3');
	const hdr = resp.headers();
	check(`the HTML attachment: application/octet-stream (${hdr['content-type']})`,
		hdr['content-type'] === 'application/octet-stream');
	check('the HTML attachment: X-Content-Type-Options nosniff', hdr['x-content-type-options'] === 'nosniff');
	check(`the HTML attachment: Content-Security-Policy sandbox (${hdr['content-security-policy']})`,
		hdr['content-security-policy'] === 'sandbox');
	check(`the HTML attachment: Content-Disposition attachment, filename* (${hdr['content-disposition']})`,
		/^attachment; .*filename\*=UTF-8''%E6%A1%88%E5%86%85\.html$/.test(hdr['content-disposition'] || ''));
	const html = fs.readFileSync(await dl.path());
	check('the HTML attachment downloads as sent',
		html.equals(fs.readFileSync(path.join(E.SG_WEB_ATTS, 'att-3'))));
	check('the HTML attachment did not render: the page stayed, no script ran',
		page.url() === urlBefore && dialogs.length === 0 && !(await page.title()).includes('pwned'));
	const rows = sql(`SELECT actor || '|' || json_extract(detail, '$.path') FROM audit WHERE event = 'download' AND hold_id = '${h.hid}' ORDER BY seq;`);
	check(`each download is in the audit log with the approver (${rows.replace(/\n/g, ' ')})`,
		rows === `${APPROVER}|2\n${APPROVER}|3`);
	await page.close();

	const ep = await ctx.newPage();
	await ep.goto(linkFor(holds.exe.hid, APPROVER));
	check('the .exe hold: the attachment is listed, with no download button',
		(await ep.locator('#attachments').innerText()).includes('.exe') &&
		(await ep.locator('button.dl').count()) === 0);
	const ecsrf = await ep.locator('input[name=csrf]').first().getAttribute('value');
	const etoken = new URL(linkFor(holds.exe.hid, APPROVER)).searchParams.get('t');
	const er = await fetch(`${BASE}/hold/${holds.exe.hid}`, { method: 'POST', redirect: 'manual',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: `t=${encodeURIComponent(etoken)}&csrf=${encodeURIComponent(ecsrf)}&action=download&path=2` });
	check(`a forged download form for the .exe is refused (${er.status})`,
		er.status === 403 && !/octet-stream/.test(er.headers.get('content-type') || ''));
	await ep.close();

	const sp = await ctx.newPage();
	await sp.goto(linkFor(h.hid, SENDER));
	check('the sender gets no download button', (await sp.locator('button.dl').count()) === 0);
	const csrf = await sp.locator('input[name=csrf]').first().getAttribute('value');
	const token = new URL(linkFor(h.hid, SENDER)).searchParams.get('t');
	/* The sender's own valid token and CSRF value, from outside the page
	 * (its CSP lets no script fetch). */
	const res = await fetch(`${BASE}/hold/${h.hid}`, { method: 'POST', redirect: 'manual',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: `t=${encodeURIComponent(token)}&csrf=${encodeURIComponent(csrf)}&action=download&path=2` });
	const r = [res.status, res.headers.get('content-type')];
	check(`a download form from the sender is refused (${r[0]})`, r[0] === 403 && !/octet-stream/.test(r[1] || ''));
	check('no download was recorded for the sender',
		sql(`SELECT count(*) FROM audit WHERE event = 'download' AND actor = '${SENDER}';`) === '0');
	await sp.close();
}

async function testDecidedDeletesContent(ctx) {
	const h = holds.preview;
	const page = await ctx.newPage();
	await page.goto(linkFor(h.hid, APPROVER));
	await page.fill('#comment', '内容を確認しました。');
	for (const c of await page.locator('#checklist input[type=checkbox]').all()) await c.check();
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST'),
		page.click('#approve'),
	]);
	await page.waitForLoadState();
	check('approve: 303', resp.status() === 303);
	check('the preview is deleted from the store at the decision',
		sql(`SELECT count(*) FROM previews WHERE hold_id = '${h.hid}';`) === '0');
	const pv = await page.locator('#preview').innerText();
	check('the page says the content was deleted, and shows none',
		pv.includes('内容は削除されました') && !pv.includes(BODY_SENTENCE));
	await page.close();
}

(async () => {
	const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-chromium-'));
	let ctx;
	try {
		ctx = await chromium.launchPersistentContext(udd, {
			executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS,
			viewport: { width: 1280, height: 900 }, locale: 'ja-JP',
		});
		for (const t of [testApproverSeesContent, testSenderAndForged, testDownloads,
			testDecidedDeletesContent]) {
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
