package dev.locallm.langchain4j;

import java.util.Map;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Disables, by name and with the reason, the tests of LangChain4j's conformance suites that assert what a capable
 * model knows (Berlin is Germany's capital, the weather tool for Munich, which of two tools fits, a JSON answer
 * naming Klaus): a 260K-parameter story model writes the valid call or the valid JSON that LocaLLM enforces there,
 * with other content. {@code LangChain4jProviderTest} checks the structure of those paths.
 */
final class NeedsKnowledge implements ExecutionCondition {
    private static final String KNOWS = "asserts content a 260K-parameter story model cannot know";
    private static final String CALLBACKS = " (the callback exceptions themselves: LangChain4jProviderTest)";
    private static final Map<String, String> TESTS = Map.ofEntries(
            Map.entry("should_respect_user_message", KNOWS),
            Map.entry("should_respect_system_message", KNOWS),
            Map.entry("should_respect_multiple_messages", KNOWS),
            Map.entry("should_respect_stopSequences_in_chat_request", KNOWS + " (the stop word is in the answer)"),
            Map.entry("should_respect_stopSequences_in_default_model_parameters", KNOWS + " (the stop word is in the "
                    + "answer)"),
            Map.entry("should_respect_common_parameters_wrapped_in_integration_specific_class_in_chat_request",
                    KNOWS),
            Map.entry("should_respect_common_parameters_wrapped_in_integration_specific_class_in_default_model_"
                    + "parameters", KNOWS),
            Map.entry("should_execute_a_tool_then_answer", KNOWS + " (that Munich calls the weather tool, unforced)"),
            Map.entry("should_execute_a_tool_without_arguments_then_answer", KNOWS + " (when to call, unforced)"),
            Map.entry("should_execute_multiple_tools_in_parallel_then_answer", KNOWS + " (two calls, unforced)"),
            Map.entry("should_force_LLM_to_execute_any_tool", KNOWS + " (which tool fits; a call is enforced)"),
            Map.entry("should_force_LLM_to_execute_specific_tool", KNOWS + " (the city; the call is enforced)"),
            Map.entry("should_respect_JSON_response_format", KNOWS + " (an open JSON object runs to the limit)"),
            Map.entry("should_respect_JSON_response_format_with_schema", KNOWS + " (valid JSON is enforced)"),
            Map.entry("should_respect_JsonRawSchema_responseFormat", KNOWS + " (valid JSON is enforced)"),
            Map.entry("should_execute_a_tool_then_answer_respecting_JSON_response_format_with_schema", KNOWS),
            Map.entry("should_propagate_user_exceptions_thrown_from_onPartialResponse", KNOWS + CALLBACKS),
            Map.entry("should_propagate_user_exceptions_thrown_from_onCompleteResponse", KNOWS + CALLBACKS),
            Map.entry("should_ignore_user_exceptions_thrown_from_onError", KNOWS + CALLBACKS));

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return context.getTestMethod().map(m -> TESTS.get(m.getName())).map(ConditionEvaluationResult::disabled)
                .orElse(ConditionEvaluationResult.enabled("a structural test"));
    }
}
