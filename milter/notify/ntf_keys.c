/*
 * NAME
 *	ntf_keys - the HMAC keys: load a key directory, make a new key
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	These keys are what makes a notice unforgeable: whoever can read
 *	one can mint X-Sendguard-Notice headers (a bypass of every rule)
 *	and approval links. So a key file that group or other may read or
 *	write is refused, a symbolic link is refused (it could point at a
 *	file someone else controls), and ntf_keygen() creates files 0600
 *	with O_EXCL|O_NOFOLLOW in a 0700 directory.
 *
 *	Files whose names are not key ids (README, editor backups) are
 *	skipped; so are directories. The greatest key id signs: keygen
 *	names keys by UTC time, so the newest key signs and older ones keep
 *	verifying until an administrator removes them.
 *
 *	The loaded set is read-only and may be shared by threads.
 * DIAGNOSTICS
 *	ntf_keys_load() returns NULL with err naming the directory or the
 *	file; ntf_keygen() returns -1 with err.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTF_KEYS_MAX		1000	/* files in a key directory */
#define NTF_KEY_FILE_MAX	4096	/* bytes of a key file */
#define NTF_KEY_BYTES_MAX	1024	/* bytes of a decoded key */
#define NTF_KEYGEN_BYTES	32

typedef struct ntf_key {
	char kid[NTF_KID_MAX + 1];
	unsigned char *key;
	size_t len;
} ntf_key;

struct ntf_keys {
	ntf_key *v;
	size_t n;
	size_t signer;		/* index of the greatest kid */
};

bool ntf_kid_valid(const char *kid)
{
	size_t n = 0;

	for (; kid[n]; n++) {
		unsigned char c = (unsigned char)kid[n];

		if (n >= NTF_KID_MAX || !(isalnum(c) || c == '_' || c == '-') || c > 127)
			return false;
	}
	return n > 0;
}

/* Hex when every character is a hex digit (an even number of them),
 * else base64 in either alphabet. */
static int ntf_key_decode(const char *text, size_t len, sg_buf *out)
{
	size_t nhex = 0;
	bool hex = len > 0 && len % 2 == 0;

	for (size_t i = 0; i < len && hex; i++, nhex++)
		hex = isxdigit((unsigned char)text[i]) != 0;
	if (!hex)
		return ntf_b64_decode_lenient(text, len, out);
	for (size_t i = 0; i + 1 < nhex; i += 2) {
		char pair[3] = { text[i], text[i + 1], 0 };

		sg_buf_putc(out, (int)strtoul(pair, NULL, 16));
	}
	return 0;
}

/* Reads at most NTF_KEY_FILE_MAX bytes of an open key file. */
static int ntf_key_read(int fd, sg_buf *text)
{
	char chunk[512];

	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (sg_buf_append(text, chunk, (size_t)r) < 0) {
			errno = EFBIG;
			return -1;
		}
	}
}

/* Opens dir/name without following a link and checks it is a private
 * regular file; -1 with err, -2 when it is not a regular file (skip). */
static int ntf_key_open(int dfd, const char *dir, const char *name, sg_buf *err)
{
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		sg_buf_printf(err, "%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		sg_buf_printf(err, "%s/%s: key file is a symbolic link; keys must be "
			      "regular files (mode 0600)", dir, name);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		return -2;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		sg_buf_printf(err, "%s/%s: %s", dir, name, strerror(errno));
		return -1;
	}
	/* fstat the open file: the name may have been swapped since. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		sg_buf_printf(err, "%s/%s: key file is accessible by group or other "
			      "(mode %04o); keys are secrets: chmod 600 it",
			      dir, name, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
}

/* Loads one key file into k; 1 loaded, 0 skipped, -1 error. */
static int ntf_key_load_one(int dfd, const char *dir, const char *name,
			    ntf_key *k, sg_buf *err)
{
	sg_buf text, raw;
	int fd, rc = -1;
	size_t b = 0, e;

	if ((fd = ntf_key_open(dfd, dir, name, err)) == -2)
		return 0;
	if (fd < 0)
		return -1;
	sg_buf_init(&text, NTF_KEY_FILE_MAX);
	sg_buf_init(&raw, NTF_KEY_BYTES_MAX);
	if (ntf_key_read(fd, &text) < 0) {
		sg_buf_printf(err, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	e = text.len;
	while (b < e && isspace((unsigned char)text.data[b]))
		b++;
	while (e > b && isspace((unsigned char)text.data[e - 1]))
		e--;
	if (ntf_key_decode(text.data ? text.data + b : "", e - b, &raw) < 0 ||
	    raw.toobig || raw.len < NTF_KEY_MIN) {
		sg_buf_printf(err, "%s/%s: not a key: expected base64 or hex of at "
			      "least %d random bytes (sendguardctl keygen makes one)",
			      dir, name, NTF_KEY_MIN);
		goto out;
	}
	memcpy(k->kid, name, strlen(name) + 1);	/* a valid kid: fits */
	k->len = raw.len;
	k->key = sg_xmemdup(raw.data, raw.len);
	rc = 1;
out:
	close(fd);
	/* Do not leave key material in freed heap memory. */
	if (text.data)
		explicit_bzero(text.data, text.cap);
	if (raw.data)
		explicit_bzero(raw.data, raw.cap);
	sg_buf_free(&text);
	sg_buf_free(&raw);
	return rc;
}

static int ntf_keys_scan(DIR *d, const char *dir, ntf_keys *keys, sg_buf *err)
{
	struct dirent *de;
	size_t seen = 0;

	while ((de = readdir(d)) != NULL) {
		int r;

		if (!ntf_kid_valid(de->d_name))
			continue;
		if (++seen > NTF_KEYS_MAX) {
			sg_buf_printf(err, "%s: more than %d key files", dir, NTF_KEYS_MAX);
			return -1;
		}
		keys->v = sg_xreallocarray(keys->v, keys->n + 1, sizeof(*keys->v));
		memset(&keys->v[keys->n], 0, sizeof(keys->v[0]));
		r = ntf_key_load_one(dirfd(d), dir, de->d_name, &keys->v[keys->n], err);
		if (r < 0)
			return -1;
		if (r == 1) {
			if (keys->n == 0 || strcmp(keys->v[keys->n].kid,
						   keys->v[keys->signer].kid) > 0)
				keys->signer = keys->n;
			keys->n++;
		}
	}
	return 0;
}

ntf_keys *ntf_keys_load(const char *dir, sg_buf *err)
{
	ntf_keys *keys = sg_xcalloc(1, sizeof(*keys));
	DIR *d = opendir(dir);

	if (d == NULL) {
		sg_buf_printf(err, "%s: cannot open key directory: %s (make a key with "
			      "sendguardctl keygen)", dir, strerror(errno));
		ntf_keys_free(keys);
		return NULL;
	}
	if (ntf_keys_scan(d, dir, keys, err) < 0) {
		closedir(d);
		ntf_keys_free(keys);
		return NULL;
	}
	closedir(d);
	if (keys->n == 0) {
		sg_buf_printf(err, "%s: no key files (make one with sendguardctl keygen)",
			      dir);
		ntf_keys_free(keys);
		return NULL;
	}
	return keys;
}

void ntf_keys_free(ntf_keys *keys)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < keys->n; i++) {
		explicit_bzero(keys->v[i].key, keys->v[i].len);
		free(keys->v[i].key);
	}
	free(keys->v);
	free(keys);
}

size_t ntf_keys_count(const ntf_keys *keys)
{
	return keys->n;
}

const char *ntf_keys_signing_kid(const ntf_keys *keys)
{
	return keys->v[keys->signer].kid;
}

int ntf_keys_hmac(const ntf_keys *keys, const char *kid, const void *msg,
		  size_t len, uint8_t mac[NTF_MAC_LEN])
{
	for (size_t i = 0; i < keys->n; i++) {
		struct hmac_sha256_ctx ctx;

		if (strcmp(keys->v[i].kid, kid) != 0)
			continue;
		hmac_sha256_set_key(&ctx, keys->v[i].len, keys->v[i].key);
		hmac_sha256_update(&ctx, len, msg);
		hmac_sha256_digest(&ctx, NTF_MAC_LEN, mac);
		explicit_bzero(&ctx, sizeof(ctx));
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------ keygen */

static int ntf_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* mkdir -p: parents 0755, the key directory itself 0700. */
static int ntf_mkdirs(const char *dir, sg_buf *err)
{
	char *p = sg_xstrdup(dir);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			sg_buf_printf(err, "%s: cannot create: %s", p, strerror(errno));
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		sg_buf_printf(err, "%s: cannot create key directory: %s", dir,
			      strerror(errno));
		return -1;
	}
	return 0;
}

/* Creates dir/kid exclusively; tries kid, kid-1 .. kid-9 so that two
 * keygens within a second do not fail. Returns the fd. */
static int ntf_keygen_create(int dfd, char kid[NTF_KID_MAX + 1], sg_buf *err,
			     const char *dir)
{
	char base[NTF_KID_MAX - 1];	/* room for "-N" */

	size_t blen = strnlen(kid, sizeof(base) - 1);

	memcpy(base, kid, blen);
	base[blen] = '\0';
	for (int i = 0; i < 10; i++) {
		int fd;

		if (i) {	/* base is a 16-character time: no truncation */
			size_t n = strlen(base);

			memcpy(kid, base, n);
			kid[n] = '-';
			kid[n + 1] = (char)('0' + i);
			kid[n + 2] = '\0';
		}
		fd = openat(dfd, kid, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST) {
			if (fd < 0)
				sg_buf_printf(err, "%s/%s: %s", dir, kid, strerror(errno));
			return fd;
		}
	}
	sg_buf_printf(err, "%s/%s: too many keys made in the same second", dir, base);
	return -1;
}

static int ntf_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int ntf_keygen_write(int fd, sg_buf *err, const char *dir, const char *kid)
{
	unsigned char key[NTF_KEYGEN_BYTES];
	sg_buf text;
	int rc = -1;

	sg_buf_init(&text, 256);
	if (ntf_random(key, sizeof(key)) < 0) {
		sg_buf_printf(err, "getrandom: %s", strerror(errno));
		goto out;
	}
	ntf_b64_encode(key, sizeof(key), 0, &text);
	sg_buf_putc(&text, '\n');
	/* fchmod too: a umask cannot widen it, but be explicit. */
	if (fchmod(fd, 0600) < 0 || ntf_write_all(fd, text.data, text.len) < 0 ||
	    fsync(fd) < 0) {
		sg_buf_printf(err, "%s/%s: %s", dir, kid, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(key, sizeof(key));
	if (text.data)
		explicit_bzero(text.data, text.cap);
	sg_buf_free(&text);
	return rc;
}

int ntf_keygen(const char *dir, char kid_out[NTF_KID_MAX + 1], sg_buf *err)
{
	time_t now = time(NULL);
	struct tm tm;
	int dfd, fd, rc;

	if (ntf_mkdirs(dir, err) < 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		sg_buf_printf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(kid_out, NTF_KID_MAX + 1, "%Y%m%dT%H%M%SZ", &tm);
	if ((fd = ntf_keygen_create(dfd, kid_out, err, dir)) < 0) {
		close(dfd);
		return -1;
	}
	rc = ntf_keygen_write(fd, err, dir, kid_out);
	close(fd);
	if (rc < 0)
		unlinkat(dfd, kid_out, 0);
	close(dfd);
	return rc;
}
