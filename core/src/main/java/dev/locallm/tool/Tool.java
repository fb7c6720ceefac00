package dev.locallm.tool;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method as a tool for {@code dev.locallm.agent.ToolMethods}. Describe its parameters with
 * {@link dev.locallm.schema.Description}; compile with {@code -parameters} (or give {@link #parameterNames()})
 * so that argument names are the Java parameter names.
 *
 * <pre>{@code
 * class WeatherTools {
 *     @Tool("Current temperature in a city, in degrees Celsius")
 *     int temperature(@Description("City name") String city) { ... }
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Tool {
    /** What the tool does. */
    String value() default "";

    /** The tool's name; the method name when empty. */
    String name() default "";

    /** Argument names, in parameter order, when the class was not compiled with {@code -parameters}. */
    String[] parameterNames() default {};
}
