package dev.locallm.remote;

import dev.locallm.chat.ChatRequest;
import dev.locallm.chat.GenerationOptions;
import dev.locallm.chat.ModelCapabilities;
import dev.locallm.error.GenerationCancelledException;
import dev.locallm.error.InvalidRequestException;
import dev.locallm.error.ModelLoadException;
import dev.locallm.error.StreamInterruptedException;
import dev.locallm.schema.SchemaAssertion;
import dev.locallm.spi.ChatEngine;
import dev.locallm.spi.Generation;
import dev.locallm.spi.GenerationEvent;
import dev.locallm.spi.ModelLocation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chat spread over several OpenAI-compatible servers serving the same model, located as
 * {@code openai:http://a:8080/v1,http://b:8080/v1?model=NAME&parallel=4,2}: each server takes up to its own
 * {@code parallel} requests (one value for all, or one per server); a request goes to the server with the most free
 * slots among those up (in turns among equals), and waits while every server that is up is full.
 *
 * <p>A server that cannot be reached or says it is unwell (502, 503, 504) when a request starts, and then does
 * not answer for its model list either, is taken out, and the request goes to the next one (at most once more than
 * there are servers); a 500, 501 or 4xx is the request's own failure and is thrown as it is. A server whose stream
 * breaks off is taken out too (the request fails with {@link StreamInterruptedException}, which callers such as
 * the batch runner send again). A server taken out is
 * asked for its model list every second and comes back when it answers. When no server is up, a request waits up to
 * the connect timeout for one to come back, then fails with {@link RemoteUnreachableException} naming each server's
 * failure. Servers are not retried one by one ({@code retries} is 0 for each): the pool is the retry policy.
 *
 * <p>Thread-safe; {@link #close()} cancels running streams and stops the health checks.
 */
final class ServerPool implements ChatEngine {
    private static final Logger LOG = LoggerFactory.getLogger(ServerPool.class);
    private static final long HEALTH_INTERVAL_MS = 1000;

    private final List<Member> members;
    private final RemoteOptions options;
    private final ScheduledExecutorService health;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Where the next search for a free server starts: servers with as many free slots take turns. */
    private int turn;

    /** One server of the pool: its engine once it has been reached, its slots, and whether it is up. */
    private static final class Member {
        final String baseUrl;
        final RemoteOptions options;
        final HttpTransport probe;
        RemoteChatEngine engine;
        int busy;
        boolean up;
        String failure = "";

        Member(String baseUrl, RemoteOptions options) {
            this.baseUrl = baseUrl;
            this.options = options;
            this.probe = new HttpTransport(baseUrl, options);
        }

        int free() {
            return options.parallel() - busy;
        }
    }

    private ServerPool(List<Member> members, RemoteOptions options) {
        this.members = members;
        this.options = options;
        this.health = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "locallm-server-pool-health");
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether a location names several servers (base URLs separated by commas). */
    static boolean namesSeveral(ModelLocation location) {
        return location.path().contains(",");
    }

    /**
     * Opens the pool: every server is asked for its models; those that cannot be reached start out taken out.
     *
     * @throws ModelLoadException when no server can be reached, or one answers that it does not serve the model
     */
    static ServerPool open(ModelLocation location, RemoteOptions given) {
        List<String> urls = Arrays.stream(location.path().split(",")).map(String::strip).toList();
        if (urls.stream().anyMatch(String::isEmpty)) {
            throw new InvalidRequestException("An empty server in the list " + location.path(), "model");
        }
        Map<String, String> parameters = new HashMap<>(location.parameters());
        String parallel = parameters.remove("parallel");
        RemoteOptions options = given.withParameters(parameters).toBuilder().maxRetries(0).build();
        List<Integer> slots = slots(parallel, urls.size(), options.parallel());
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            members.add(new Member(urls.get(i), options.toBuilder().parallel(slots.get(i)).build()));
        }
        ServerPool pool = new ServerPool(members, options);
        for (Member m : members) {
            if (!pool.connect(m)) {
                LOG.warn("{} is out of the pool until it answers: {}", m.baseUrl, m.failure);
            }
        }
        if (members.stream().noneMatch(m -> m.up)) {
            pool.close();
            throw new ModelLoadException("None of the servers can be reached: " + pool.failures());
        }
        pool.health.scheduleWithFixedDelay(pool::checkHealth, HEALTH_INTERVAL_MS, HEALTH_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
        return pool;
    }

    private static List<Integer> slots(String parallel, int servers, int fallback) {
        if (parallel == null) {
            return Collections.nCopies(servers, fallback);
        }
        List<Integer> given = Arrays.stream(parallel.split(",")).map(v -> ModelLocation.wholeNumber("parallel",
                v.strip())).toList();
        if (given.size() == 1) {
            return Collections.nCopies(servers, given.get(0));
        }
        if (given.size() != servers) {
            throw new InvalidRequestException("'parallel' lists " + given.size() + " values for " + servers
                    + " servers; give one for all, or one per server", "model");
        }
        if (given.stream().anyMatch(n -> n < 1)) {
            throw new InvalidRequestException("'parallel' must be at least 1 for each server", "model");
        }
        return given;
    }

    /**
     * Opens a member's server and asks it for its model list (opening alone asks nothing when the location names
     * the model, dialect and context); a member that cannot be reached stays down. Whether it is up.
     */
    private boolean connect(Member m) {
        RemoteChatEngine engine;
        try {
            engine = new RemoteChatEngine(RemoteServer.open(m.baseUrl, m.options));
        } catch (ModelLoadException e) {
            if (!(e.getCause() instanceof RemoteUnreachableException)) {
                throw e;
            }
            synchronized (this) {
                m.failure = e.getMessage();
            }
            LOG.debug("{} cannot be reached: {}", m.baseUrl, e.getMessage());
            return false;
        }
        synchronized (this) {
            m.engine = engine;
        }
        String silent = silence(m);
        if (silent != null) {
            synchronized (this) {
                m.failure = silent;
            }
            return false;
        }
        bringBack(m, engine);
        return true;
    }

    private synchronized void bringBack(Member m, RemoteChatEngine engine) {
        m.engine = engine;
        m.up = true;
        notifyAll();
    }

    private void checkHealth() {
        List<Member> down;
        synchronized (this) {
            down = members.stream().filter(m -> !m.up).toList();
        }
        for (Member m : down) {
            try {
                boolean up;
                if (m.engine == null) {
                    up = connect(m);
                } else {
                    up = silence(m) == null;
                    if (up) {
                        bringBack(m, m.engine);
                    }
                }
                if (up) {
                    LOG.info("{} answers; in the pool", m.baseUrl);
                }
            } catch (RuntimeException e) {
                LOG.debug("{} is still down: {}", m.baseUrl, e.getMessage());
            }
        }
    }

    private synchronized void takeOut(Member m, RuntimeException why) {
        if (m.up) {
            LOG.warn("{} is taken out of the pool until it answers again: {}", m.baseUrl, why.getMessage());
        }
        m.up = false;
        m.failure = why.getMessage();
        notifyAll();
    }

    /** A member that is up with a free slot, the one with the most; waits for one. */
    private synchronized Member acquire() {
        long deadline = 0;
        while (true) {
            if (closed.get()) {
                throw new GenerationCancelledException("The model is closed", "");
            }
            Member best = null;
            for (int i = 0; i < members.size(); i++) {
                Member m = members.get((turn + i) % members.size());
                if (m.up && m.free() > 0 && (best == null || m.free() > best.free())) {
                    best = m;
                }
            }
            if (best != null) {
                best.busy++;
                turn = (members.indexOf(best) + 1) % members.size();
                return best;
            }
            boolean anyUp = members.stream().anyMatch(m -> m.up);
            if (anyUp) {
                deadline = 0;
            } else if (deadline == 0) {
                deadline = System.nanoTime() + options.connectTimeout().toNanos();
            }
            long left = deadline - System.nanoTime();
            if (!anyUp && left <= 0) {
                throw new RemoteUnreachableException(members.stream().map(m -> m.baseUrl)
                        .collect(Collectors.joining(", ")), 1, "no server of the pool is up: " + failures(), null);
            }
            try {
                wait(anyUp ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GenerationCancelledException("Interrupted while waiting for a free server", "");
            }
        }
    }

    private synchronized void release(Member m) {
        m.busy--;
        notifyAll();
    }

    private synchronized String failures() {
        return members.stream().map(m -> m.baseUrl + ": " + (m.up ? "up" : m.failure))
                .collect(Collectors.joining("; "));
    }

    @Override
    public ModelCapabilities capabilities() {
        List<ModelCapabilities> reached;
        synchronized (this) {
            reached = members.stream().filter(m -> m.engine != null).map(m -> m.engine.capabilities()).toList();
        }
        ModelCapabilities first = reached.get(0);
        int context = reached.stream().mapToInt(ModelCapabilities::contextLength).filter(n -> n > 0).min().orElse(0);
        return ModelCapabilities.builder(first.modelName(), "remote (" + members.size() + " servers)")
                .contextLength(context).parallelRequests(members.stream().mapToInt(m -> m.options.parallel()).sum())
                .tools(true).structuredOutput(reached.stream().allMatch(ModelCapabilities::structuredOutput)).build();
    }

    @Override
    public int repairAttempts() {
        return options.repairAttempts();
    }

    @Override
    public Generation start(ChatRequest request) {
        return run(engine -> engine.start(request));
    }

    @Override
    public Generation startCompletion(String prompt, GenerationOptions generationOptions) {
        return run(engine -> engine.startCompletion(prompt, generationOptions));
    }

    /**
     * Starts the generation on a free server. A server that cannot be reached, or answers that it is unwell (502,
     * 503, 504, 408, 429), is asked for its model list: when it answers (the failure was a kept-alive connection the
     * server had closed, say), the request is sent again; when not, the server is taken out and the next one tried.
     * Any other refusal (a 500 or 501 is how servers refuse what they cannot do, a 4xx) is the request's, and is
     * thrown as it is. A request is tried at most once more than there are servers; then its last failure is thrown.
     */
    private Generation run(Function<RemoteChatEngine, Generation> start) {
        for (int attempt = 1; ; attempt++) {
            Member m = acquire();
            try {
                return new PooledGeneration(start.apply(m.engine), m);
            } catch (RuntimeException e) {
                release(m);
                boolean serversFault = e instanceof RemoteUnreachableException
                        || e instanceof RemoteServerException r && r.retryable();
                if (!serversFault || attempt > members.size()) {
                    throw e;
                }
                String silent = silence(m);
                if (silent == null) {
                    LOG.debug("{} failed a request but answers; sending it again: {}", m.baseUrl, e.getMessage());
                } else {
                    takeOut(m, e);
                }
            }
        }
    }

    /** Why a server does not answer for its model list; {@code null} when it answers. */
    private static String silence(Member m) {
        try {
            m.probe.getJson("/models");
            return null;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            health.shutdownNow();
            List<RemoteChatEngine> engines;
            synchronized (this) {
                engines = members.stream().filter(m -> m.engine != null).map(m -> m.engine).toList();
                notifyAll();
            }
            engines.forEach(RemoteChatEngine::close);
        }
    }

    /** A generation on one server: frees its slot when closed, and takes the server out when the stream breaks. */
    private final class PooledGeneration implements Generation {
        private final Generation generation;
        private final Member member;
        private final AtomicBoolean released = new AtomicBoolean();

        PooledGeneration(Generation generation, Member member) {
            this.generation = generation;
            this.member = member;
        }

        @Override
        public int promptTokens() {
            return generation.promptTokens();
        }

        @Override
        public GenerationEvent next() {
            try {
                return generation.next();
            } catch (StreamInterruptedException | RemoteUnreachableException e) {
                takeOut(member, e);
                throw e;
            }
        }

        @Override
        public List<SchemaAssertion> unenforcedAssertions() {
            return generation.unenforcedAssertions();
        }

        @Override
        public void cancel() {
            generation.cancel();
        }

        @Override
        public void close() {
            try {
                generation.close();
            } finally {
                if (released.compareAndSet(false, true)) {
                    release(member);
                }
            }
        }
    }
}
