/*
 * NAME
 *	pd_bench - time the personal-data detectors and the whole scan
 * SYNOPSIS
 *	build/pd_bench CONF text FILE MIN_SECONDS
 *	build/pd_bench CONF scan FILE MIN_SECONDS
 * DESCRIPTION
 *	Built by `make bench` (-O2, the production flags) and run by
 *	tests/bench/pd_bench.sh; not part of `make test`.
 *
 *	text: FILE is UTF-8 text. It is NFKC-normalised once, then every
 *	detector of rules/personal-data runs over it (eng_pd_scan, as the
 *	text of an attachment: no signature is cut off) again and again
 *	for at least MIN_SECONDS; the best pass counts.
 *
 *	scan: FILE is a message; eng_scan() (parse, decode, normalise,
 *	every rule) runs on it again and again for at least MIN_SECONDS.
 *
 *	Prints one line: "bytes=N passes=P best_s=S mb_per_s=R
 *	findings=F", where MB is 10^6 bytes of FILE (text: of the
 *	normalised text).
 * DIAGNOSTICS
 *	Exits 2 on a usage, configuration or input error.
 */
#include "engine/eng_int.h"
#include "engine/eng_pd.h"
#include "engine/eng_text.h"
#include "util/sg_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_file(const char *path, sg_buf *out)
{
	FILE *fp = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (fp == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		sg_buf_append(out, buf, n);
	fclose(fp);
	return 0;
}

/* One pass of the detectors over normalised text; findings reported. */
static double pass_text(const eng_engine *eng, const sg_buf *norm, size_t *nf)
{
	eng_result res;
	eng_ctx ctx;
	double t0;

	memset(&ctx, 0, sizeof(ctx));
	eng_result_init(&res);
	ctx.eng = eng;
	ctx.res = &res;
	ctx.inspect = true;
	clock_gettime(CLOCK_MONOTONIC, &ctx.deadline);
	ctx.deadline.tv_sec += 3600;
	t0 = now_s();
	eng_pd_scan(&ctx, sg_buf_cstr(norm), norm->len, "bench.txt");
	t0 = now_s() - t0;
	*nf = res.nfindings;
	eng_result_free(&res);
	return t0;
}

static double pass_scan(const eng_engine *eng, const sg_buf *msg, size_t *nf)
{
	eng_envelope env = { NULL, NULL, 0, NULL };
	eng_result res;
	double t0 = now_s();

	eng_scan(eng, &env, sg_buf_cstr(msg), msg->len, &res);
	t0 = now_s() - t0;
	*nf = res.nfindings;
	eng_result_free(&res);
	return t0;
}

int main(int argc, char **argv)
{
	sg_buf err, in, norm;
	sg_conf *conf;
	eng_engine *eng;
	double min_s, best = 1e9, total = 0;
	unsigned long passes = 0;
	size_t nf = 0, bytes;
	bool text;

	if (argc != 5 || (strcmp(argv[2], "text") != 0 && strcmp(argv[2], "scan") != 0)) {
		fprintf(stderr, "usage: pd_bench CONF text|scan FILE MIN_SECONDS\n");
		return 2;
	}
	text = strcmp(argv[2], "text") == 0;
	min_s = atof(argv[4]);
	sg_buf_init(&err, 8192);
	conf = sg_conf_load(argv[1], &err);
	if (conf == NULL || (eng = eng_engine_new(conf, &err)) == NULL) {
		fprintf(stderr, "pd_bench: %s\n", sg_buf_cstr(&err));
		return 2;
	}
	sg_buf_init(&in, SG_BUF_UNLIMITED);
	sg_buf_init(&norm, SG_BUF_UNLIMITED);
	if (read_file(argv[3], &in) < 0) {
		perror(argv[3]);
		return 2;
	}
	if (text)
		eng_text_normalize(sg_buf_cstr(&in), in.len, &norm);
	bytes = text ? norm.len : in.len;
	while (total < min_s || passes < 3) {
		double t = text ? pass_text(eng, &norm, &nf) : pass_scan(eng, &in, &nf);

		if (t < best)
			best = t;
		total += t;
		passes++;
	}
	printf("bytes=%zu passes=%lu best_s=%.6f mb_per_s=%.2f findings=%zu\n",
	       bytes, passes, best, (double)bytes / 1e6 / best, nf);
	sg_buf_free(&in);
	sg_buf_free(&norm);
	sg_buf_free(&err);
	eng_engine_free(eng);
	sg_conf_free(conf);
	return 0;
}
