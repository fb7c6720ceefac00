package dev.locallm.bench;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import java.nio.file.Path;

/**
 * Child process of {@link ThreadSweepBench}: loads the model through the binding with the given decode and
 * prompt threads and poll level (0 threads: the binding's defaults; poll -1: llama.cpp's default), generates,
 * and prints
 * {@code RESULT <decode tok/s> | <TTFT ms>} as medians.
 */
public final class DecodeProbe {
    private DecodeProbe() {
    }

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int batchThreads = Integer.parseInt(args[2]);
        int poll = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        ModelParameters parameters = new ModelParameters().setModel(model.toString()).setCtxSize(1024)
                .setBatchSize(512).setUbatchSize(512).setParallel(1).disableLog();
        if (threads > 0) {
            parameters.setThreads(threads).setThreadsBatch(batchThreads);
        }
        if (poll >= 0) {
            parameters.setPoll(poll).setPollBatch(poll);
        }
        LlamaModel raw = new LlamaModel(parameters);
        String prompt = Prompts.ofTokens(511, text -> raw.encode(text).length);
        ApiOverheadBench.rawRun(raw, prompt, 16);
        double[] tps = new double[rounds];
        double[] ttft = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            DecodeRun r = ApiOverheadBench.rawRun(raw, prompt, 128);
            tps[i] = r.tokensPerSecond();
            ttft[i] = r.ttftMillis();
        }
        System.out.printf("RESULT %.1f | %.0f%n", DecodeRun.median(tps), DecodeRun.median(ttft));
        System.out.flush();
        System.exit(0);
    }
}
