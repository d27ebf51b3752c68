"""English catalogue."""

TEXTS: dict[str, str] = {
    "avatar_ready": "Your avatar “{name}” is ready! You can now create images with it.",
    "avatar_failed": "Sorry, training the avatar “{name}” failed: {reason}. {coins} coins are back on your balance.",
    "avatar_failed_no_refund": "Sorry, training the avatar “{name}” failed: {reason}.",
    "generation_done": "Done! Your prompt: {prompt}",
    "generation_nsfw_hidden": "{count} of the images are hidden: the service flagged them as unsuitable.",
    "generation_all_hidden": "All images are hidden: the service flagged them as unsuitable. Try another prompt.",
    "generation_failed": "Could not create the image: {reason}. {coins} coins are back on your balance.",
    "button_generate": "Create an image",
    "reason_unknown": "the service could not process the request",
    "reason_result_unavailable": "the finished result could not be fetched from the service",
    "progress_done": "Avatar “{name}” is trained\n▓▓▓▓▓▓▓▓▓▓ 100%",
    "progress_stopped": "Training of the avatar “{name}” has stopped.",
    # milestones and endings (issue 14)
    "generation_next": "What next?",
    "generation_button_again": "🔁 Again",
    "generation_button_style": "🎨 Another style",
    "generation_button_gallery": "📁 Gallery",
}
