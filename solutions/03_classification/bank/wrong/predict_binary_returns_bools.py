def predict_binary(logits):
    return logits > 0
