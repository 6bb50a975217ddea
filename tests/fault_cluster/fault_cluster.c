/* librdkafka's mock cluster with faults scripted on the command line, for cafka's fault tests:
 *
 *   cafka_fault_cluster BROKERS TOPIC PARTITIONS [API_KEY=ERROR[,ERROR...]]...
 *
 * Each API_KEY=... makes the next requests of that API (0 = Produce, 22 = InitProducerId, ...) fail
 * with those Kafka error codes, one per request, in order; -195 drops the connection instead of
 * answering; CODE@MS makes broker 1 answer with CODE (0: success) after MS milliseconds.
 * Prints the bootstrap servers on the first line, then takes commands on stdin (see main). */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* "0=59,59,6" pushes 59, 59, 6 for ApiKey 0 on the cluster; an item with "@MS" ("0=0@1500") is
 * answered by broker 1 after MS milliseconds instead. Returns 0 on success. */
static int push_errors(rd_kafka_mock_cluster_t *mc, const char *spec) {
  char *end = NULL;
  long api_key = strtol(spec, &end, 10);
  if (end == spec || *end != '=')
    return -1;
  rd_kafka_resp_err_t errors[64];
  size_t count = 0;
  const char *p = end + 1;
  while (*p && count < 64) {
    long code = strtol(p, &end, 10);
    if (end == p)
      return -1;
    if (*end == '@') {
      const char *ms = end + 1;
      long rtt = strtol(ms, &end, 10);
      if (end == ms || rd_kafka_mock_broker_push_request_error_rtts(mc, 1, (int16_t)api_key, 1,
                                                                    (rd_kafka_resp_err_t)code, (int)rtt))
        return -1;
    } else {
      errors[count++] = (rd_kafka_resp_err_t)code;
    }
    p = *end == ',' ? end + 1 : end;
  }
  if (*p)
    return -1;
  if (count > 0)
    rd_kafka_mock_push_request_errors_array(mc, (int16_t)api_key, count, errors);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s BROKERS TOPIC PARTITIONS [API_KEY=ERROR[,ERROR...]]...\n", argv[0]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* a crashed test must not leave its cluster behind */
  int brokers = atoi(argv[1]);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof err);
  if (!rk) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "the mock cluster did not start\n");
    return 2;
  }
  if (rd_kafka_mock_topic_create(mc, argv[2], atoi(argv[3]), brokers < 3 ? brokers : 3)) {
    fprintf(stderr, "topic %s not created\n", argv[2]);
    return 2;
  }
  for (int a = 4; a < argc; ++a)
    if (push_errors(mc, argv[a])) {
      fprintf(stderr, "bad fault spec '%s' (want API_KEY=ERROR[,ERROR...])\n", argv[a]);
      return 2;
    }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  /* Commands on stdin, one per line, each answered with "ok" or "error: ...":
   *   leader TOPIC PARTITION BROKER    the partition's leadership moves to that broker
   * The cluster ends with its stdin (the test closed it, or died). */
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char topic[256];
    int partition = 0, broker = 0;
    if (sscanf(line, "leader %255s %d %d", topic, &partition, &broker) == 3)
      printf(rd_kafka_mock_partition_set_leader(mc, topic, partition, broker) ? "error: no such partition or broker\n"
                                                                               : "ok\n");
    else
      printf("error: unknown command: %s", line);
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
