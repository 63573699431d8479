def predict_binary(logits):
    return (logits > 0.5).long()
