package org.mnistpipeline.server;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mnistpipeline.MnistException;
import org.mnistpipeline.inference.LoadedModel;
import org.mnistpipeline.inference.MemoryBudget;
import org.mnistpipeline.inference.OnnxPredictor;
import org.mnistpipeline.inference.Predictor;
import org.mnistpipeline.inference.PredictorOptions;
import org.mnistpipeline.model.ModelManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model server: SageMaker's inference contract ({@code GET /ping}, {@code POST /invocations})
 * plus {@code /models}, {@code /metrics} and a drawing page at {@code /}.
 *
 * <p>Built on the JDK's own {@code com.sun.net.httpserver} with one virtual thread per request:
 * no web framework means no dependencies to patch, a small image and a start-up measured in
 * milliseconds (the model load dominates); virtual threads let thousands of slow clients wait
 * without a thread pool to size. The model runs in native code, so its parallelism is bounded by
 * the CPU anyway, and micro-batching ({@link BatchingPredictor}) is what buys throughput.
 *
 * <p>{@link #start} binds the port at once and loads the model in the background: {@code /ping}
 * answers 503 until the model is loaded and warmed, then 200. {@link #close()} stops accepting
 * connections and lets in-flight requests finish within the configured grace period.
 */
public final class ModelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelServer.class);
    private static final String NODELAY = "sun.net.httpserver.nodelay";
    /** Seconds a client may take to send a whole request, and to take its response. */
    static final String MAX_REQUEST_SECONDS = "sun.net.httpserver.maxReqTime";
    static final String MAX_RESPONSE_SECONDS = "sun.net.httpserver.maxRspTime";
    static final String DEFAULT_CLIENT_SECONDS = "30";
    private static final int WARM_UP_RUNS = 3;

    private final ServerConfig config;
    private final HttpServer http;
    private final ExecutorService executor;
    private final ModelSlot slot = new ModelSlot();
    private final Metrics metrics = new Metrics();
    private final ModelWatcher watcher;
    /** Null when drift monitoring is off. */
    private final PredictionMonitor monitor;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final List<Runnable> readyListeners = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean closeStarted = new AtomicBoolean();
    private volatile boolean closing;

    private ModelServer(ServerConfig config) {
        this.config = config;
        // The JDK server leaves Nagle's algorithm on unless told otherwise, and then every small
        // response sits ~40 ms in the kernel waiting for the client's delayed ACK. The property is
        // read once, when the first server of the JVM is created, so it is set before that.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        // Without limits a client that trickles its request a byte at a time (slowloris) holds a
        // connection and a thread forever; the JDK server closes such connections once told to.
        // 30 s still lets a 6 MB body arrive at 200 KB/s. Read once per JVM, like the above.
        for (String limit : List.of(MAX_REQUEST_SECONDS, MAX_RESPONSE_SECONDS)) {
            if (System.getProperty(limit) == null) {
                System.setProperty(limit, DEFAULT_CLIENT_SECONDS);
            }
        }
        try {
            this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 0);
        } catch (BindException e) {
            throw new MnistException("cannot listen on " + config.host() + ":" + config.port() + " (" + e.getMessage()
                    + "); is another server running there? Stop it or pick another port with --port", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port(), e);
        }
        this.monitor = config.monitoring().enabled()
                ? new PredictionMonitor(config.monitoring(), metrics, java.time.Clock.systemUTC()) : null;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-", 1).factory());
        http.setExecutor(executor);
        http.createContext("/", new ApiHandler(config, slot, metrics, () -> closing,
                new MemoryBudget(config.memoryBudgetBytes())));
        this.watcher = new ModelWatcher(config.modelSource(), this::serve, slot, config.reloadInterval(),
                this::modelSwapped);
    }

    /** Binds the port, starts answering and starts loading the model in the background. */
    public static ModelServer start(ServerConfig config) {
        ModelServer server = new ModelServer(config);
        server.http.start();
        LOG.info("listening on {} (model from {}, batching {})", server.uri(), config.modelSource().describe(),
                config.batching().enabled() ? "up to " + config.batching().maxBatch() + " images, "
                        + config.batching().maxWaitMicros() + " us" : "off");
        if (server.monitor != null) {
            LOG.info("drift monitoring: {} % of predictions summarised into {} every {} s",
                    config.monitoring().sampleRate() * 100, config.monitoring().store().location(),
                    config.monitoring().flushInterval().toMillis() / 1000.0);
        }
        server.watcher.start();
        return server;
    }

    public ServerConfig config() {
        return config;
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Base URI, such as {@code http://127.0.0.1:8080}. */
    public URI uri() {
        String host = http.getAddress().getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + port());
    }

    /** Whether {@code /ping} answers 200: a warmed model is loaded and the server is not stopping. */
    public boolean isReady() {
        return !closing && slot.peek().isPresent();
    }

    /** The version being served, if a model is loaded. */
    public Optional<String> modelVersion() {
        return slot.peek().map(ServedModel::version);
    }

    /** Waits until {@link #isReady()}; false if the time ran out first. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(1);
        Runnable listener = ready::countDown;
        readyListeners.add(listener);
        try {
            return isReady() || ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            readyListeners.remove(listener);
        }
    }

    /** Checks the model source now instead of at the next poll; true when a new model was swapped in. */
    public boolean reloadNow() {
        return watcher.poll();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Loads a model into a ready-to-serve chain: ONNX session, batch-size reporting, micro-batching,
     * drift monitoring.
     * Warmed here, before anyone can reach it: the first runs of a session allocate and pick
     * kernels, and would otherwise land on the first unlucky requests.
     */
    private ServedModel serve(LoadedModel loaded) {
        Predictor onnx = OnnxPredictor.fromBytes(loaded.onnx(), loaded.version(),
                PredictorOptions.defaults().withIntraOpThreads(config.modelThreads()));
        try {
            long start = System.nanoTime();
            warmUp(onnx, config.batching().maxBatch());
            long warmUpMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Predictor served = new ObservedPredictor(onnx, metrics::batch);
            if (config.batching().enabled()) {
                served = new BatchingPredictor(served, config.batching().maxBatch(),
                        config.batching().maxWaitMicros(), metrics::inFlight, config.batching().maxQueued(),
                        config.batching().queueTimeout());
            }
            if (monitor != null) {
                served = monitor.wrap(served); // outside the batcher: on request threads, not its collector
            }
            return new ServedModel(served, manifestOf(loaded), config.modelSource().publicName(), Instant.now(),
                    warmUpMillis);
        } catch (RuntimeException | Error e) {
            onnx.close();
            throw e;
        }
    }

    /** The manifest only describes the model (for /models): one that does not bind must not stop serving. */
    private static Optional<ModelManifest> manifestOf(LoadedModel loaded) {
        try {
            return loaded.manifest();
        } catch (RuntimeException e) {
            LOG.warn("model {}: manifest.json is unreadable ({}); /models will show the version only",
                    loaded.version(), e.getMessage());
            return Optional.empty();
        }
    }

    private static void warmUp(Predictor predictor, int batch) {
        float[] blank = new float[predictor.inputSize()];
        for (int i = 0; i < WARM_UP_RUNS; i++) {
            predictor.predictBatch(List.of(blank));
            predictor.predictBatch(Collections.nCopies(batch, blank));
        }
    }

    private void modelSwapped(String previousVersion) {
        if (previousVersion != null) {
            metrics.modelReloaded();
        }
        List.copyOf(readyListeners).forEach(Runnable::run);
    }


    /**
     * Stops accepting connections, lets in-flight requests finish (up to the shutdown grace),
     * then closes the model. {@code /ping} answers 503 from the first moment, so a load balancer
     * stops sending traffic.
     */
    @Override
    public void close() {
        if (!closeStarted.compareAndSet(false, true)) {
            try {
                closed.await(); // a second caller (e.g. the shutdown hook) waits for the first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        closing = true;
        long start = System.nanoTime();
        LOG.info("stopping: finishing {} in-flight request(s), waiting at most {} s", metrics.inFlight(),
                config.shutdownGrace().toSeconds());
        watcher.close();
        // stop() closes the listening socket at once, then waits for the exchanges in progress.
        http.stop((int) Math.max(0, Math.ceil(config.shutdownGrace().toMillis() / 1000.0)));
        executor.shutdown();
        try {
            long left = config.shutdownGrace().toNanos() - (System.nanoTime() - start);
            if (!executor.awaitTermination(Math.max(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS)) {
                LOG.warn("{} request(s) still running after the grace period; closing anyway", metrics.inFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (monitor != null) {
            monitor.close(); // after the last request, so the final window is complete
        }
        slot.close();
        LOG.info("stopped after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        closed.countDown();
    }
}
