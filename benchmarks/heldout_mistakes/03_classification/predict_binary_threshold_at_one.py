def predict_binary(logits):
    return (logits > 1).long()
