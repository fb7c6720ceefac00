package dev.locallm.llamacpp;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.PoolingType;
import dev.locallm.error.ModelLoadException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads each model file once per process and counts its users. The binding leaks native memory and a thread on
 * every close (de.kherud/java-llama.cpp issue 102; about 29 MB for stories260K), so loading the same file again for
 * every {@code ChatModel} would grow the process without bound; instead, models opened with the same file
 * and load settings share one native model, which is closed when the last of them is.
 *
 * <p>A service that closes a model and opens it again later (swapping models, or opening one per job) can keep
 * released models loaded for the next open: {@code -Dlocallm.llamacpp.retainedModels=N} keeps the last {@code N}
 * released native models (least recently released closed first), so cycling among {@code N} models loads each
 * once. The default, 0, closes a model as soon as its last user does, which frees its memory (less the leak) for
 * whatever is loaded next. Thread-safe.
 */
final class SharedModels {
    /** The fewest cells a KV cache gets ({@link #kvCells}). */
    static final int MIN_KV_CELLS = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);

    /** What makes two loads the same native model. */
    record Key(Path file, long size, long modified, int threads, int batchThreads, int contextPerSlot, int batchSize,
               int gpuLayers, int parallel, boolean embeddings, PoolingType pooling) { }

    private static final class Entry {
        final NativeModel model;
        int users;

        Entry(NativeModel model) {
            this.model = model;
        }
    }

    /** The system property naming how many released native models stay loaded for reuse. */
    static final String RETAINED_PROPERTY = "locallm.llamacpp.retainedModels";

    private static final Map<Key, Entry> LOADED = new HashMap<>();
    /** Released models kept loaded, least recently released first. */
    private static final Map<Key, Entry> RETAINED = new LinkedHashMap<>();
    private static long loads;

    private SharedModels() {
    }

    /** The native model for {@code key}, loaded if no one holds it; the caller must {@link #release} it. */
    static NativeModel acquire(Key key, String description) {
        synchronized (LOADED) {
            Entry entry = LOADED.get(key);
            if (entry == null && (entry = RETAINED.remove(key)) != null) {
                LOADED.put(key, entry);
                LOG.debug("Reusing the retained native model {}", description);
            } else if (entry == null) {
                entry = new Entry(load(key, description));
                loads++;
                LOADED.put(key, entry);
            } else {
                LOG.debug("Sharing the loaded native model {}", description);
            }
            entry.users++;
            return entry.model;
        }
    }

    /** Gives a model back; the last user's release retains it for reuse or closes it. */
    static void release(Key key) {
        List<NativeModel> toClose = new ArrayList<>();
        synchronized (LOADED) {
            Entry entry = LOADED.get(key);
            if (entry != null && --entry.users == 0) {
                LOADED.remove(key);
                RETAINED.put(key, entry);
                int keep = Math.max(0, Integer.getInteger(RETAINED_PROPERTY, 0));
                for (var it = RETAINED.values().iterator(); RETAINED.size() > keep && it.hasNext(); ) {
                    toClose.add(it.next().model);
                    it.remove();
                }
            }
        }
        toClose.forEach(NativeModel::close);
    }

    /** Closes the released models kept for reuse. */
    static void closeRetained() {
        List<NativeModel> toClose;
        synchronized (LOADED) {
            toClose = RETAINED.values().stream().map(e -> e.model).toList();
            RETAINED.clear();
        }
        toClose.forEach(NativeModel::close);
    }

    /** How many distinct native models are in use now (retained ones not counted). */
    static int loadedCount() {
        synchronized (LOADED) {
            return LOADED.size();
        }
    }

    /** How many native models this process has loaded so far. */
    static long loads() {
        synchronized (LOADED) {
            return loads;
        }
    }

    /**
     * The cells of the KV cache the slots share: the context of a slot times the slots, and at least
     * {@value #MIN_KV_CELLS}. llama.cpp b4916 puts each batch in one contiguous run of free cells, and defragments
     * only once 2,048 cells are in use: in a small cache, generations side by side interleave their cells, and a
     * prompt after them finds no run long enough although half the cache is free ({@link NativeModel} recovers,
     * but the slots lose their cached prompts and running generations may be dropped). The slots are still held to
     * the context asked for; the floor costs a few megabytes for the small models that use small contexts.
     */
    static int kvCells(int contextPerSlot, int parallel) {
        return Math.max(MIN_KV_CELLS, contextPerSlot * parallel);
    }

    /** The physical batch (llama.cpp's {@code n_ubatch}) a model is loaded with for a logical batch of this size. */
    static int ubatchSize(int batchSize) {
        return Math.min(batchSize, 512);
    }

    private static NativeModel load(Key key, String description) {
        NativeLibrary.ensureLoaded();
        ModelParameters parameters = new ModelParameters()
                .setModel(key.file().toString())
                .setThreads(key.threads())
                .setThreadsBatch(key.batchThreads())
                .setCtxSize(kvCells(key.contextPerSlot(), key.parallel()))
                .setBatchSize(key.batchSize())
                .setUbatchSize(ubatchSize(key.batchSize()))
                .setParallel(key.parallel())
                .disableLog();
        if (key.gpuLayers() > 0) {
            parameters.setGpuLayers(key.gpuLayers());
        }
        if (key.embeddings()) {
            parameters.enableEmbedding().setPoolingType(key.pooling());
        }
        long start = System.nanoTime();
        LlamaModel model;
        try {
            model = new LlamaModel(parameters);
        } catch (RuntimeException e) {
            if (BindingErrors.isNative(e)) {
                throw new ModelLoadException("llama.cpp refused to load " + description + ": " + e.getMessage()
                        + ". The binding does not pass on llama.cpp's reason; the file passed LocaLLM's checks, so it "
                        + "is likely an architecture llama.cpp b4916 does not support, a missing tensor or key, or "
                        + "hyperparameters the tensor shapes disagree with", e);
            }
            throw e;
        } finally {
            NativeLibrary.reinstallLogBridge();
        }
        LOG.info("Loaded {} in {} ms ({} slot(s) of {} tokens, {}/{} threads{})", description,
                (System.nanoTime() - start) / 1_000_000, key.parallel(), key.contextPerSlot(), key.threads(),
                key.batchThreads(),
                key.gpuLayers() > 0 ? ", " + key.gpuLayers() + " GPU layers" : "");
        return new NativeModel(model, description, key.parallel(), key.embeddings());
    }
}
