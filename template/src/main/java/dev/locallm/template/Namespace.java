package dev.locallm.template;

import java.util.LinkedHashMap;
import java.util.Map;

/** The mutable object {@code namespace(...)} returns, whose attributes survive loop scopes. */
final class Namespace {
    final Map<String, Object> attributes = new LinkedHashMap<>();
}
