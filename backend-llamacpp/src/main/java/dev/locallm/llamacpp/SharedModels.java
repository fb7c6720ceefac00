package dev.locallm.llamacpp;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.PoolingType;
import dev.locallm.error.ModelLoadException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads each model file once per process and counts its users. The binding leaks most of a model's native
 * memory and a thread on every close (de.kherud/java-llama.cpp issue 102), so loading the same file again for
 * every {@code ChatModel} would grow the process without bound; instead, models opened with the same file
 * and load settings share one native model, which is closed when the last of them is. Thread-safe.
 */
final class SharedModels {
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

    private static final Map<Key, Entry> LOADED = new HashMap<>();

    private SharedModels() {
    }

    /** The native model for {@code key}, loaded if no one holds it; the caller must {@link #release} it. */
    static NativeModel acquire(Key key, String description) {
        synchronized (LOADED) {
            Entry entry = LOADED.get(key);
            if (entry == null) {
                entry = new Entry(load(key, description));
                LOADED.put(key, entry);
            } else {
                LOG.debug("Sharing the loaded native model {}", description);
            }
            entry.users++;
            return entry.model;
        }
    }

    /** Gives a model back; the last user's release closes it. */
    static void release(Key key) {
        NativeModel toClose = null;
        synchronized (LOADED) {
            Entry entry = LOADED.get(key);
            if (entry != null && --entry.users == 0) {
                LOADED.remove(key);
                toClose = entry.model;
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /** How many distinct native models are loaded now. */
    static int loadedCount() {
        synchronized (LOADED) {
            return LOADED.size();
        }
    }

    private static NativeModel load(Key key, String description) {
        NativeLibrary.ensureLoaded();
        ModelParameters parameters = new ModelParameters()
                .setModel(key.file().toString())
                .setThreads(key.threads())
                .setThreadsBatch(key.batchThreads())
                .setCtxSize(key.contextPerSlot() * key.parallel())
                .setBatchSize(key.batchSize())
                .setUbatchSize(Math.min(key.batchSize(), 512))
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
                throw new ModelLoadException("llama.cpp could not load " + description + ": " + e.getMessage()
                        + " (is the architecture supported by llama.cpp b4916, and the file complete?)", e);
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
