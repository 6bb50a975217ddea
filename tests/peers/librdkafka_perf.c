/* librdkafka_perf: the librdkafka side of scripts/bench, a producer benchmark that reports like
 * Apache Kafka's ProducerPerformance (kafka-producer-perf-test) and like apps/cafka-perf.cpp.
 *
 *   librdkafka_perf BOOTSTRAP TOPIC NUM_RECORDS RECORD_SIZE THROUGHPUT [PROP=VALUE ...]
 *
 * THROUGHPUT is records/s, -1 (any negative number) for unthrottled. Each PROP=VALUE is a
 * librdkafka configuration property (acks=all, enable.idempotence=true, linger.ms=5,
 * batch.size=16384, compression.type=zstd, ...), applied after bootstrap.servers=BOOTSTRAP.
 *
 * Payload: random upper-case letters, like ProducerPerformance, which draws fresh letters for every
 * record. Here every record gets its own stretch of a pool of random letters made before the run,
 * so that the letters are not worked out on the clock that measures the client, and no batch holds
 * the same bytes twice (a batch would have to pass POOL_BYTES, more than librdkafka's default
 * batch.size, to repeat itself): compression sees what it sees with the Java tool.
 *
 * Latency: per record, from rd_kafka_producev() to its delivery report. The record's opaque is its
 * send time. Progress every 5 s, then the final line in Kafka's shape and a line with the client's
 * CPU time and peak RSS, both printed exactly as cafka-perf prints them. Exit 0 when every record
 * was delivered, 1 when any failed, 2 on bad usage or configuration. */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define POOL_BYTES (1 << 20)             /* random letters shared out among the records */
#define REPORT_EVERY_US INT64_C(5000000) /* progress line interval, as in Kafka's tool */
#define MIN_SLEEP_US 1000                /* the throttle sleeps only once this far ahead */

static const char *prog = "librdkafka_perf";

static void usage(FILE *to) {
  fprintf(to,
          "usage: %s BOOTSTRAP TOPIC NUM_RECORDS RECORD_SIZE THROUGHPUT [PROP=VALUE ...]\n"
          "\n"
          "Produces NUM_RECORDS records of RECORD_SIZE random letters to TOPIC with librdkafka and\n"
          "reports like Kafka's kafka-producer-perf-test.\n"
          "\n"
          "  BOOTSTRAP    bootstrap.servers, HOST:PORT[,HOST:PORT...]\n"
          "  NUM_RECORDS  records to produce (> 0)\n"
          "  RECORD_SIZE  bytes per record (> 0)\n"
          "  THROUGHPUT   records/s to throttle to; -1 for unthrottled\n"
          "  PROP=VALUE   librdkafka properties, e.g. acks=all enable.idempotence=true linger.ms=5\n"
          "               batch.size=16384 compression.type=zstd\n"
          "\n"
          "Prints a progress line every 5 s, then\n"
          "  N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th,"
          " P95 ms 95th, P99 ms 99th, P999 ms 99.9th.\n"
          "  client_cpu_s=S cpu_us_per_record=U failed=F max_rss_kb=K\n"
          "Exit status: 0 all delivered, 1 some record failed, 2 bad usage or configuration.\n",
          prog);
}

static void bad_usage(const char *problem, const char *arg) {
  fprintf(stderr, "%s: %s '%s'\n", prog, problem, arg);
  usage(stderr);
  exit(2);
}

static int64_t parse_int(const char *what, const char *s, int64_t min, int64_t max) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < min || v > max) {
    char problem[96];
    snprintf(problem, sizeof problem, "%s must be an integer from %" PRId64 " to %" PRId64 ", not", what, min,
             max);
    bad_usage(problem, s);
  }
  return (int64_t)v;
}

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64: a small fixed-seed generator, so every run sends the same letters. */
static uint64_t next_random(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* What the delivery reports add up to. Everything runs on the main thread: librdkafka calls the
 * delivery report callback from rd_kafka_poll() and rd_kafka_flush(). */
struct run {
  int64_t t0_us;          /* start of the run; send times are relative to it */
  int64_t record_size;
  int32_t *latencies_us;  /* one per delivered record, in delivery order */
  int64_t delivered, failed;
  rd_kafka_resp_err_t first_error;
  double latency_sum_us;
  int32_t latency_max_us;
  int64_t window_start_us, window_count;
  double window_latency_sum_us;
  int32_t window_latency_max_us;
};

static void note_failure(struct run *r, rd_kafka_resp_err_t err) {
  if (r->failed++ == 0) {
    r->first_error = err;
    fprintf(stderr, "%s: a record failed: %s\n", prog, rd_kafka_err2str(err));
  }
}

static void maybe_progress(struct run *r, int64_t now) {
  if (now - r->window_start_us < REPORT_EVERY_US)
    return;
  double secs = (double)(now - r->window_start_us) / 1e6;
  double count = (double)r->window_count;
  printf("%" PRId64 " records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.\n",
         r->window_count, count / secs, count * (double)r->record_size / secs / (1024.0 * 1024.0),
         r->window_count ? r->window_latency_sum_us / count / 1000.0 : 0.0, r->window_latency_max_us / 1000.0);
  fflush(stdout);
  r->window_start_us = now;
  r->window_count = 0;
  r->window_latency_sum_us = 0;
  r->window_latency_max_us = 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
  (void)rk;
  struct run *r = opaque;
  int64_t now = now_us();
  if (msg->err) {
    note_failure(r, msg->err);
  } else {
    int64_t sent = (int64_t)(intptr_t)msg->_private;
    int64_t l = now - r->t0_us - sent;
    int32_t latency = l < 0 ? 0 : l > INT32_MAX ? INT32_MAX : (int32_t)l;
    r->latencies_us[r->delivered++] = latency;
    r->latency_sum_us += latency;
    if (latency > r->latency_max_us)
      r->latency_max_us = latency;
    r->window_count++;
    r->window_latency_sum_us += latency;
    if (latency > r->window_latency_max_us)
      r->window_latency_max_us = latency;
  }
  maybe_progress(r, now);
}

static int by_value(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* The q-quantile in whole milliseconds, indexed as cafka-perf does. */
static int percentile_ms(const int32_t *sorted, int64_t n, double q) {
  return n ? (int)(sorted[(int64_t)((double)(n - 1) * q)] / 1000) : 0;
}

/* Until due_us (relative to t0): serves delivery reports meanwhile, sleeps only when at least
 * MIN_SLEEP_US ahead (records go out in small bursts, as with Kafka's ThroughputThrottler). */
static void wait_until(rd_kafka_t *rk, const struct run *r, int64_t due_us) {
  for (;;) {
    int64_t ahead = due_us - (now_us() - r->t0_us);
    if (ahead < MIN_SLEEP_US)
      return;
    rd_kafka_poll(rk, (int)(ahead / 1000)); /* returns early once it has served a report */
  }
}

int main(int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    usage(stdout);
    return 0;
  }
  if (argc < 6) {
    fprintf(stderr, "%s: expected at least 5 arguments, got %d\n", prog, argc - 1);
    usage(stderr);
    return 2;
  }
  const char *bootstrap = argv[1], *topic_name = argv[2];
  if (!*bootstrap)
    bad_usage("BOOTSTRAP must not be empty:", bootstrap);
  if (!*topic_name)
    bad_usage("TOPIC must not be empty:", topic_name);
  int64_t num_records = parse_int("NUM_RECORDS", argv[3], 1, INT64_C(1) << 40);
  int64_t record_size = parse_int("RECORD_SIZE", argv[4], 1, INT64_C(1) << 30);
  char *end;
  errno = 0;
  double throughput = strtod(argv[5], &end);
  if (errno || end == argv[5] || *end || !isfinite(throughput) || throughput == 0)
    bad_usage("THROUGHPUT must be a number of records/s (-1: unthrottled), not", argv[5]);

  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s: bootstrap.servers=%s: %s\n", prog, bootstrap, errstr);
    return 2;
  }
  for (int i = 6; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq || eq == argv[i]) {
      fprintf(stderr, "%s: bad property '%s': expected PROP=VALUE\n", prog, argv[i]);
      rd_kafka_conf_destroy(conf);
      return 2;
    }
    *eq = '\0';
    if (rd_kafka_conf_set(conf, argv[i], eq + 1, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      fprintf(stderr, "%s: bad property '%s=%s': %s\n", prog, argv[i], eq + 1, errstr);
      rd_kafka_conf_destroy(conf);
      return 2;
    }
  }

  static struct run r;
  r.record_size = record_size;
  r.latencies_us = malloc((size_t)num_records * sizeof *r.latencies_us);
  size_t pool_len = (size_t)POOL_BYTES + (size_t)record_size;
  char *pool = malloc(pool_len);
  if (!r.latencies_us || !pool) {
    fprintf(stderr, "%s: out of memory for %" PRId64 " records of %" PRId64 " bytes\n", prog, num_records,
            record_size);
    return 2;
  }
  uint64_t seed = 42;
  for (size_t i = 0; i < pool_len; i++)
    pool[i] = (char)('A' + (int)(((next_random(&seed) >> 32) * 26) >> 32));

  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &r);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) { /* on failure conf stays ours */
    fprintf(stderr, "%s: cannot create the producer: %s\n", prog, errstr);
    rd_kafka_conf_destroy(conf);
    return 2;
  }
  rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, topic_name, NULL);
  if (!topic) {
    fprintf(stderr, "%s: topic '%s': %s\n", prog, topic_name, rd_kafka_err2str(rd_kafka_last_error()));
    rd_kafka_destroy(rk);
    return 2;
  }

  r.t0_us = r.window_start_us = now_us();
  size_t offset = 0; /* the record's stretch of the pool */
  for (int64_t i = 0; i < num_records; i++) {
    if (throughput > 0)
      wait_until(rk, &r, (int64_t)((double)i * 1e6 / throughput));
    intptr_t sent = (intptr_t)(now_us() - r.t0_us);
    for (;;) {
      rd_kafka_resp_err_t err =
          rd_kafka_producev(rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_VALUE(&pool[offset], (size_t)record_size), RD_KAFKA_V_OPAQUE((void *)sent),
                            RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        note_failure(&r, err); /* refused outright: counts as failed, like a failed delivery */
        break;
      }
      rd_kafka_poll(rk, 100); /* the queue is full: wait for deliveries to make room */
    }
    offset += (size_t)record_size;
    if (offset >= POOL_BYTES)
      offset -= POOL_BYTES;
    if ((i & 1023) == 0)
      rd_kafka_poll(rk, 0);
  }
  while (r.delivered + r.failed < num_records)
    rd_kafka_flush(rk, 1000);
  int64_t t1_us = now_us();
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
               + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  int64_t ok = r.delivered;
  qsort(r.latencies_us, (size_t)ok, sizeof *r.latencies_us, by_value);
  double secs = (double)(t1_us - r.t0_us) / 1e6;
  printf("%" PRId64 " records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
         "%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.\n",
         ok, (double)ok / secs, (double)ok * (double)record_size / secs / (1024.0 * 1024.0),
         ok ? r.latency_sum_us / (double)ok / 1000.0 : 0.0, r.latency_max_us / 1000.0,
         percentile_ms(r.latencies_us, ok, 0.5), percentile_ms(r.latencies_us, ok, 0.95),
         percentile_ms(r.latencies_us, ok, 0.99), percentile_ms(r.latencies_us, ok, 0.999));
  printf("client_cpu_s=%.3f cpu_us_per_record=%.3f failed=%" PRId64 " max_rss_kb=%ld%s%s\n", cpu,
         ok ? cpu * 1e6 / (double)ok : 0.0, r.failed, ru.ru_maxrss, r.failed ? " first_error=" : "",
         r.failed ? rd_kafka_err2str(r.first_error) : "");
  fflush(stdout);
  free(pool);
  free(r.latencies_us);
  return r.failed ? 1 : 0;
}
