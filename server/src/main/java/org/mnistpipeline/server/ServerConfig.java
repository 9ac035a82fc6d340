package org.mnistpipeline.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.monitor.SummaryStore;

/**
 * Everything a {@link ModelServer} needs, given once at start (Javalin style). The model source is
 * required; everything else has a default and is set through the {@link #builder}. Bad values are
 * rejected when built, so a mistake fails at start-up instead of on the first request.
 *
 * @param host           interface to bind; loopback unless told otherwise, so a laptop run is not
 *                       reachable from the network by accident (containers pass {@code 0.0.0.0})
 * @param port           TCP port; 0 picks a free one (tests)
 * @param modelSource    where the model comes from, polled for new versions
 * @param maxBodyBytes   largest request body accepted; larger ones get 413 before being buffered
 * @param maxPixels      largest decoded image (width × height) accepted; guards against
 *                       decompression bombs, a small PNG that decodes to gigabytes
 * @param memoryBudgetBytes memory all requests in flight may hold at once for their bodies, decodes
 *                       and images ({@link MemoryBudget}); a request over it is answered 503 with
 *                       {@code Retry-After} before any work starts, one that could never fit 413.
 *                       Half the heap by default
 * @param batching       dynamic micro-batching of concurrent requests
 * @param shutdownGrace  how long {@link ModelServer#close()} waits for in-flight requests
 * @param modelThreads   ONNX Runtime intra-op threads (see {@link #DEFAULT_MODEL_THREADS})
 * @param reloadInterval how often the model source is polled for a new model; zero turns hot
 *                       reload off
 * @param monitoring     drift-monitoring summaries of predictions; off unless asked for (the
 *                       command line turns it on)
 */
public record ServerConfig(
        String host,
        int port,
        ModelSource modelSource,
        long maxBodyBytes,
        long maxPixels,
        long memoryBudgetBytes,
        Batching batching,
        Duration shutdownGrace,
        Duration reloadInterval,
        int modelThreads,
        Monitoring monitoring) {

    /**
     * ONNX Runtime intra-op threads per forward pass. One by default: on a small machine the server
     * gets its parallelism from concurrent requests, and a spinning intra-op pool competing with
     * request threads doubled the p99 latency of single requests in bench/http-load.sh.
     */
    public static final int DEFAULT_MODEL_THREADS = 1;

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    /** SageMaker tells the container which port to bind through this variable. */
    public static final String PORT_ENV = "SAGEMAKER_BIND_TO_PORT";
    /** SageMaker's own payload limit for real-time endpoints. */
    public static final long DEFAULT_MAX_BODY_BYTES = 6L * 1024 * 1024;
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(2);

    /**
     * Micro-batching settings.
     *
     * @param enabled       off: every request runs its own forward pass
     * @param maxBatch      most images in one forward pass
     * @param maxWaitMicros how long the first queued image may wait for company; 0 never waits:
     *                      a batch is whatever queued while the previous one ran
     * @param maxQueued     most requests waiting for the batch collector; one more is answered 503
     *                      with {@code Retry-After} (the memory budget usually sheds load first)
     * @param queueTimeout  longest a request waits for its batch's result before it is answered 503
     */
    public record Batching(boolean enabled, int maxBatch, long maxWaitMicros, int maxQueued, Duration queueTimeout) {
        public static final int DEFAULT_MAX_BATCH = 32;
        /** About a tenth of a second of work at this machine's throughput: more only adds latency. */
        public static final int DEFAULT_MAX_QUEUED = 1024;
        /** Far beyond any healthy wait (milliseconds), short of a client's own timeout (SageMaker: 60 s). */
        public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(10);
        /**
         * No waiting: under load requests queue up while a batch runs anyway, and waiting for more
         * only idles the model. Measured on 2 cores with wrk, two rounds
         * (bench/results/batching-wait-2026-12-02.txt): at concurrency 16, 7,480-7,710 req/s against
         * 5,990-6,510 with 500 µs and 7,300-8,000 without batching; at concurrency 64, 8,660-9,360
         * against 8,310-9,450 with 500 µs and 7,120-8,150 without.
         */
        public static final long DEFAULT_MAX_WAIT_MICROS = 0;

        public Batching {
            Objects.requireNonNull(queueTimeout, "queueTimeout");
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
            }
            if (maxWaitMicros < 0) {
                throw new IllegalArgumentException("maxWaitMicros must not be negative, got " + maxWaitMicros);
            }
            if (maxQueued < 1) {
                throw new IllegalArgumentException("maxQueued must be at least 1, got " + maxQueued);
            }
            if (queueTimeout.isNegative() || queueTimeout.isZero()) {
                throw new IllegalArgumentException("queueTimeout must be positive, got " + queueTimeout);
            }
        }

        /** The default queue bound and timeout. */
        public Batching(boolean enabled, int maxBatch, long maxWaitMicros) {
            this(enabled, maxBatch, maxWaitMicros, DEFAULT_MAX_QUEUED, DEFAULT_QUEUE_TIMEOUT);
        }

        public static Batching defaults() {
            return new Batching(true, DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT_MICROS);
        }

        public static Batching off() {
            return new Batching(false, DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT_MICROS);
        }
    }

    /**
     * Drift monitoring: a sample of predictions is counted into histograms (predicted class,
     * confidence, input statistics; never payloads) and one summary per model version is written
     * to {@code store} (a directory's {@code <version>/}, or an S3 prefix's) every
     * {@code flushInterval} and at shutdown, for {@code mnist monitor}.
     *
     * @param store         where summaries go; null turns monitoring off
     * @param sampleRate    share of predictions counted, in (0, 1]
     * @param flushInterval length of one window
     */
    public record Monitoring(SummaryStore store, double sampleRate, Duration flushInterval) {
        /**
         * Every prediction by default: counting one is a pass over 784 floats and seven
         * {@code LongAdder} increments, about 2 µs and 48 bytes (JMH {@code recordSummary} on a
         * loaded 2-core machine) next to a 70 µs median forward pass alone, and a full count lets
         * a low-traffic server reach the minimum sample count soonest. Lower it on servers taking
         * thousands of requests per second, where a sample is as good.
         */
        public static final double DEFAULT_SAMPLE_RATE = 1.0;
        /** One file per minute and model: fine enough for an hourly check, few enough files for a year. */
        public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(60);

        public Monitoring {
            Objects.requireNonNull(flushInterval, "flushInterval");
            if (!(sampleRate > 0 && sampleRate <= 1)) {
                throw new IllegalArgumentException("monitoring sample rate must be in (0, 1], got " + sampleRate);
            }
            if (flushInterval.isNegative() || flushInterval.isZero()
                    || flushInterval.compareTo(SummaryStore.MAX_WINDOW) > 0) {
                throw new IllegalArgumentException("monitoring flush interval must be positive and at most "
                        + SummaryStore.MAX_WINDOW.toHours() + " h, got " + flushInterval);
            }
        }

        /** Summaries into the directory {@code dir}; null turns monitoring off. */
        public Monitoring(Path dir, double sampleRate, Duration flushInterval) {
            this(dir == null ? null : SummaryStore.local(dir), sampleRate, flushInterval);
        }

        public static Monitoring off() {
            return new Monitoring((SummaryStore) null, DEFAULT_SAMPLE_RATE, DEFAULT_FLUSH_INTERVAL);
        }

        public static Monitoring to(Path dir) {
            return new Monitoring(Objects.requireNonNull(dir, "dir"), DEFAULT_SAMPLE_RATE, DEFAULT_FLUSH_INTERVAL);
        }

        public static Monitoring to(SummaryStore store) {
            return new Monitoring(Objects.requireNonNull(store, "store"), DEFAULT_SAMPLE_RATE, DEFAULT_FLUSH_INTERVAL);
        }

        public boolean enabled() {
            return store != null;
        }

        public Monitoring withSampleRate(double rate) {
            return new Monitoring(store, rate, flushInterval);
        }

        public Monitoring withFlushInterval(Duration interval) {
            return new Monitoring(store, sampleRate, interval);
        }
    }

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(monitoring, "monitoring");
        Objects.requireNonNull(modelSource, "modelSource");
        Objects.requireNonNull(batching, "batching");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(reloadInterval, "reloadInterval");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank; use 127.0.0.1, or 0.0.0.0 for every interface");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
        }
        if (maxPixels < 784) {
            throw new IllegalArgumentException("maxPixels must allow at least a 28x28 image, got " + maxPixels);
        }
        if (memoryBudgetBytes < maxBodyBytes) {
            throw new IllegalArgumentException("memoryBudgetBytes must hold at least one body of maxBodyBytes ("
                    + maxBodyBytes + "), got " + memoryBudgetBytes + "; give the JVM more heap (-Xmx)");
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must not be negative, got " + shutdownGrace);
        }
        if (reloadInterval.isNegative()) {
            throw new IllegalArgumentException("reloadInterval must not be negative (zero turns reload off), got "
                    + reloadInterval);
        }
        if (modelThreads < 1 || modelThreads > 64) {
            throw new IllegalArgumentException("modelThreads must be in 1..64, got " + modelThreads);
        }
    }

    /** Defaults for everything but the model: loopback, the SageMaker port or 8080, batching on. */
    public static ServerConfig defaults(ModelSource source) {
        return builder(source).build();
    }

    /** A builder holding the defaults, for a server of the model from {@code source}. */
    public static Builder builder(ModelSource source) {
        return new Builder(new ServerConfig(DEFAULT_HOST, defaultPort(System.getenv()), source,
                DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PIXELS, MemoryBudget.defaultCapacity(), Batching.defaults(), DEFAULT_SHUTDOWN_GRACE,
                DEFAULT_RELOAD_INTERVAL, DEFAULT_MODEL_THREADS, Monitoring.off()));
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** {@value #PORT_ENV} when set, else {@value #DEFAULT_PORT}. */
    static int defaultPort(Map<String, String> env) {
        String value = env.get(PORT_ENV);
        if (value == null || value.isBlank()) {
            return DEFAULT_PORT;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PORT_ENV + " must be a port number, got '" + value + "'");
        }
    }

    /** Optional settings, each defaulted; {@link #build} validates them all at once. */
    public static final class Builder {
        private String host;
        private int port;
        private ModelSource modelSource;
        private long maxBodyBytes;
        private long maxPixels;
        private long memoryBudgetBytes;
        private Batching batching;
        private Duration shutdownGrace;
        private Duration reloadInterval;
        private int modelThreads;
        private Monitoring monitoring;

        private Builder(ServerConfig from) {
            host = from.host;
            port = from.port;
            modelSource = from.modelSource;
            maxBodyBytes = from.maxBodyBytes;
            maxPixels = from.maxPixels;
            memoryBudgetBytes = from.memoryBudgetBytes;
            batching = from.batching;
            shutdownGrace = from.shutdownGrace;
            reloadInterval = from.reloadInterval;
            modelThreads = from.modelThreads;
            monitoring = from.monitoring;
        }

        public Builder host(String value) {
            host = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder modelSource(ModelSource value) {
            modelSource = value;
            return this;
        }

        public Builder maxBodyBytes(long value) {
            maxBodyBytes = value;
            return this;
        }

        public Builder maxPixels(long value) {
            maxPixels = value;
            return this;
        }

        public Builder memoryBudgetBytes(long value) {
            memoryBudgetBytes = value;
            return this;
        }

        public Builder batching(Batching value) {
            batching = value;
            return this;
        }

        public Builder shutdownGrace(Duration value) {
            shutdownGrace = value;
            return this;
        }

        public Builder reloadInterval(Duration value) {
            reloadInterval = value;
            return this;
        }

        public Builder modelThreads(int value) {
            modelThreads = value;
            return this;
        }

        public Builder monitoring(Monitoring value) {
            monitoring = value;
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(host, port, modelSource, maxBodyBytes, maxPixels, memoryBudgetBytes, batching,
                    shutdownGrace,
                    reloadInterval, modelThreads, monitoring);
        }
    }
}
