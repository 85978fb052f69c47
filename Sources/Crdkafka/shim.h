#ifndef INVOICE_SHADOW_CRDKAFKA_SHIM_H
#define INVOICE_SHADOW_CRDKAFKA_SHIM_H
#include <sys/select.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
