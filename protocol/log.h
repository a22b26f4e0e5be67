/*
 * Logging to stderr: one line per event with time, level and a short
 * component tag ("2026-11-23T01:16:20.123Z info  conn: peer 7 closed").
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error", "warn", "info", "debug"; -1 when unknown. */
int	log_level_parse(const char *name);
void	log_msg(enum log_level level, const char *component, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

#define log_error(c, ...)	log_msg(LOG_LEVEL_ERROR, c, __VA_ARGS__)
#define log_warn(c, ...)	log_msg(LOG_LEVEL_WARN, c, __VA_ARGS__)
#define log_info(c, ...)	log_msg(LOG_LEVEL_INFO, c, __VA_ARGS__)
#define log_debug(c, ...)	do {					\
	if (log_get_level() >= LOG_LEVEL_DEBUG)				\
		log_msg(LOG_LEVEL_DEBUG, c, __VA_ARGS__);		\
} while (0)

#endif
