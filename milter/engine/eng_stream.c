/*
 * NAME
 *	eng_stream - a read-only GMimeStream over the caller's bytes
 * DESCRIPTION
 *	See eng_stream.h. Modelled on GMime's GMimeStreamMem (the same
 *	bound and position rules, so the parser cannot tell them apart),
 *	without its buffer: substreams share the parent's pointer, and
 *	g_mime_stream_substream() makes each hold a reference to the top
 *	stream, which never frees the bytes.
 */
#include "engine/eng_stream.h"
#include "engine/eng_pages.h"

#include <errno.h>
#include <string.h>

typedef struct {
	GMimeStream parent;
	const char *data;	/* not ours: never freed */
	gint64 len;
	gint64 given;		/* read up to here and handed back */
	eng_pages_win win;	/* small reads of a mapped file */
} EngConstStream;

typedef struct {
	GMimeStreamClass parent_class;
} EngConstStreamClass;

G_DEFINE_TYPE(EngConstStream, eng_const_stream, GMIME_TYPE_STREAM)

static gint64 eng_cs_end(GMimeStream *s)
{
	EngConstStream *c = (EngConstStream *)s;

	return s->bound_end != -1 ? s->bound_end : c->len;
}

static ssize_t eng_cs_read(GMimeStream *s, char *buf, size_t len)
{
	EngConstStream *c = (EngConstStream *)s;
	gint64 n = eng_cs_end(s) - s->position;

	if (n > (gint64)len)
		n = (gint64)len;
	if (n < 0)
		return -1;
	if (n >= ENG_PAGES_WIN) {
		/* through the file when the bytes are a mapped one: no
		 * page of it mapped in (eng_pages.h) */
		eng_pages_copy(buf, c->data + s->position, (size_t)n);
		s->position += n;
	} else if (n > 0) {
		/* the parser's 4 KB reads, from a window of the file */
		const unsigned char *p = (const unsigned char *)c->data + s->position;
		size_t avail;

		memcpy(buf, eng_pages_win_get(&c->win, p, (size_t)n,
					      (const unsigned char *)c->data + eng_cs_end(s),
					      &avail), (size_t)n);
		s->position += n;
	}
	/* Every reader of these streams (the parser, a part's decoder)
	 * goes forward: what it has passed goes back to the page cache
	 * when the bytes are a mapped file (eng_pages.h), so a 10 MB mail
	 * is not resident whole while it is read. After a seek back,
	 * counting starts again from there. */
	if (s->position < c->given)
		c->given = s->position;
	else if (s->position - c->given >= ENG_PAGES_STEP) {
		eng_pages_done(c->data + c->given, (size_t)(s->position - c->given));
		c->given = s->position;
	}
	return (ssize_t)n;
}

static ssize_t eng_cs_write(GMimeStream *s, const char *buf, size_t len)
{
	(void)s, (void)buf, (void)len;
	errno = EBADF;
	return -1;
}

static int eng_cs_flush(GMimeStream *s)
{
	(void)s;
	return 0;
}

static int eng_cs_close(GMimeStream *s)
{
	(void)s;
	return 0;
}

static gboolean eng_cs_eos(GMimeStream *s)
{
	return s->position >= eng_cs_end(s);
}

static int eng_cs_reset(GMimeStream *s)
{
	s->position = s->bound_start;
	return 0;
}

static gint64 eng_cs_seek(GMimeStream *s, gint64 offset, GMimeSeekWhence whence)
{
	gint64 real;

	switch (whence) {
	case GMIME_STREAM_SEEK_SET:
		real = offset;
		break;
	case GMIME_STREAM_SEEK_CUR:
		real = s->position + offset;
		break;
	case GMIME_STREAM_SEEK_END:
		real = eng_cs_end(s) + offset;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	/* Unlike GMimeStreamMem, which grows its buffer, the end is final. */
	if (real < s->bound_start || real > eng_cs_end(s)) {
		errno = EINVAL;
		return -1;
	}
	s->position = real;
	return real;
}

static gint64 eng_cs_tell(GMimeStream *s)
{
	return s->position;
}

static gint64 eng_cs_length(GMimeStream *s)
{
	return eng_cs_end(s) - s->bound_start;
}

static GMimeStream *eng_cs_substream(GMimeStream *s, gint64 start, gint64 end)
{
	EngConstStream *c = (EngConstStream *)s;
	EngConstStream *sub = g_object_new(eng_const_stream_get_type(), NULL);

	sub->data = c->data;
	sub->len = c->len;
	sub->given = start;
	g_mime_stream_construct(&sub->parent, start, end);
	return &sub->parent;
}

static void eng_cs_finalize(GObject *o)
{
	eng_pages_win_free(&((EngConstStream *)o)->win);
	G_OBJECT_CLASS(eng_const_stream_parent_class)->finalize(o);
}

static void eng_const_stream_class_init(EngConstStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = eng_cs_finalize;

	sc->read = eng_cs_read;
	sc->write = eng_cs_write;
	sc->flush = eng_cs_flush;
	sc->close = eng_cs_close;
	sc->eos = eng_cs_eos;
	sc->reset = eng_cs_reset;
	sc->seek = eng_cs_seek;
	sc->tell = eng_cs_tell;
	sc->length = eng_cs_length;
	sc->substream = eng_cs_substream;
}

static void eng_const_stream_init(EngConstStream *c)
{
	c->data = NULL;
	c->len = 0;
	c->given = 0;
	eng_pages_win_init(&c->win);
}

GMimeStream *eng_stream_new_const(const void *data, size_t len)
{
	EngConstStream *c = g_object_new(eng_const_stream_get_type(), NULL);

	c->data = data;
	c->len = (gint64)len;
	g_mime_stream_construct(&c->parent, 0, (gint64)len);
	return &c->parent;
}

bool eng_stream_bytes(GMimeStream *s, const unsigned char **p, size_t *n)
{
	EngConstStream *c;
	gint64 end;

	if (s == NULL || !G_TYPE_CHECK_INSTANCE_TYPE(s, eng_const_stream_get_type()))
		return false;
	c = (EngConstStream *)s;
	end = eng_cs_end(s);
	if (s->bound_start < 0 || end < s->bound_start || end > c->len)
		return false;
	*p = (const unsigned char *)c->data + s->bound_start;
	*n = (size_t)(end - s->bound_start);
	return true;
}
