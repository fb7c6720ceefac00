/**
 * The backend SPI. Backends implement {@link dev.locallm.spi.BackendProvider},
 * {@link dev.locallm.spi.ChatEngine} and {@link dev.locallm.spi.Generation}; users call
 * {@link dev.locallm.ChatModel}, which core builds around them. Parameters and return values are non-null
 * unless documented otherwise.
 */
package dev.locallm.spi;
