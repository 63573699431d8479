def predict_binary(logits):
    return logits.argmax(dim=1)
