/*
 * NAME
 *	fz - shared set-up of the fuzz targets (see fz.h)
 * DESCRIPTION
 *	Runs once per fuzzing process; nothing here is on the per-input
 *	path except fz_write(), which must be cheap (one open/write).
 */
#include "fz.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SG_FUZZ_SRCDIR
#define SG_FUZZ_SRCDIR "."
#endif

static char fz_tmp[PATH_MAX];
static char fz_path[PATH_MAX + 64];

static void fz_rmdir(void)
{
	char cmd[PATH_MAX + 16];

	if (fz_tmp[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz_tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "fz: could not remove %s\n", fz_tmp);
}

const char *fz_dir(void)
{
	if (fz_tmp[0] == '\0') {
		const char *t = getenv("TMPDIR");
		snprintf(fz_tmp, sizeof(fz_tmp), "%s/sg-fuzz.XXXXXX", t && *t ? t : "/tmp");
		if (mkdtemp(fz_tmp) == NULL) {
			perror("fz: mkdtemp");
			abort();
		}
		atexit(fz_rmdir);
	}
	return fz_tmp;
}

const char *fz_write(const char *name, const void *data, size_t size)
{
	int fd;

	snprintf(fz_path, sizeof(fz_path), "%s/%s", fz_dir(), name);
	fd = open(fz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
		perror("fz: write");
		abort();
	}
	close(fd);
	return fz_path;
}

const char *fz_conf_text(const char *rules_dir)
{
	static char text[PATH_MAX + 512];

	snprintf(text, sizeof(text),
		 "[policy]\ninternal_domains = example.lg.jp\n"
		 "trusted_domains = lgwan.example.lg.jp\n"
		 "[limits]\nscan_timeout = 10s\n"
		 "[rules]\ndir = %s\n",
		 rules_dir ? rules_dir : SG_FUZZ_SRCDIR "/rules");
	return text;
}

const eng_engine *fz_engine(void)
{
	static eng_engine *eng;
	sg_conf *conf;
	sg_buf err;
	const char *path;

	if (eng)
		return eng;
	path = fz_write("engine.conf", fz_conf_text(NULL), strlen(fz_conf_text(NULL)));
	sg_buf_init(&err, 4096);
	conf = sg_conf_load(path, &err);
	if (conf)
		eng = eng_engine_new(conf, &err);
	if (eng == NULL) {
		fprintf(stderr, "fz: cannot load the engine: %s\n", sg_buf_cstr(&err));
		abort();
	}
	sg_conf_free(conf);
	sg_buf_free(&err);
	return eng;
}
