package dev.locallm.schema;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes a type, record component, field or tool parameter to the model: becomes {@code description} in
 * the JSON schema that {@link JsonSchema#from(java.lang.reflect.Type)} derives.
 *
 * <pre>{@code
 * record Weather(@Description("City name") String city, @Description("Degrees Celsius") int temperature) { }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.FIELD, ElementType.RECORD_COMPONENT, ElementType.PARAMETER, ElementType.METHOD})
public @interface Description {
    /** The description. */
    String value();
}
