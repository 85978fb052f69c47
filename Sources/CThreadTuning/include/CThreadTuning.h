#ifndef C_THREAD_TUNING_H
#define C_THREAD_TUNING_H

/// Restricts the calling thread to one CPU. Returns 0, or -1 with errno set.
int thread_tuning_pin_to_cpu(int cpu);

/// The CPUs the calling thread may run on, lowest first, at most `capacity` of them; returns how
/// many were written, or -1 with errno set.
int thread_tuning_allowed_cpus(int *cpus, int capacity);

/// Names the calling thread for the kernel (at most 15 bytes), as top -H, perf and /proc show it.
/// Returns 0, or an error number.
int thread_tuning_set_name(const char *name);

#endif
