def predict_multiclass(logits):
    return logits.argmax(dim=1, keepdim=True)
