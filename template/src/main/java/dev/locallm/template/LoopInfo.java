package dev.locallm.template;

import java.util.List;
import java.util.Map;

/** The {@code loop} variable inside a for loop. */
final class LoopInfo implements TemplateRuntime.Callable {
    private final List<Object> items;
    private final int index;

    LoopInfo(List<Object> items, int index) {
        this.items = items;
        this.index = index;
    }

    Object attribute(String name) {
        int length = items.size();
        return switch (name) {
            case "index" -> (long) index + 1;
            case "index0" -> (long) index;
            case "revindex" -> (long) (length - index);
            case "revindex0" -> (long) (length - index - 1);
            case "first" -> index == 0;
            case "last" -> index == length - 1;
            case "length" -> (long) length;
            case "depth" -> 1L;
            case "depth0" -> 0L;
            case "previtem" -> index > 0 ? items.get(index - 1) : Undefined.INSTANCE;
            case "nextitem" -> index < length - 1 ? items.get(index + 1) : Undefined.INSTANCE;
            case "cycle" -> this;
            default -> Undefined.INSTANCE;
        };
    }

    /** {@code loop.cycle(a, b, ...)}. */
    @Override
    public Object call(TemplateRuntime runtime, List<Object> args, Map<String, Object> kwargs) {
        if (args.isEmpty()) {
            throw new TemplateException("loop.cycle() needs at least one value");
        }
        return args.get(index % args.size());
    }
}
